import CFuzzerDriver

/// The program entry of a fuzz target: runs libFuzzer with `callback` as `LLVMFuzzerTestOneInput`.
///
/// Needed because SwiftPM links debug executables with `--defsym main=<Target>_main`; each target
/// defines that symbol (`@_cdecl("<Target>_main")`) and calls this.
public func runFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt {
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&count, &arguments, callback)
}

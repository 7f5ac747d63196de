import Foundation
@testable import Store
import Testing

/// A streamed upload arrives in pieces cut anywhere: parsing it piece by piece must give exactly what parsing
/// it whole gives, errors included.
@Suite("List uploads in pieces")
struct ListMembersChunkTests {
    static let lines = "u1\n  u2 \n\nu3\r\nsome-id:with.dots\nu1\nlast-without-newline"
    static let ndjson = "\"u1\"\n{\"id\": \"u2\", \"name\": \"x\"}\n42\n\n\"ü\"\n{\"id\": 7}"

    func whole(_ text: String, _ format: ListMembers.Format) throws -> ListMembers {
        var m = ListMembers(format: format)
        try Array(text.utf8).withUnsafeBytes { try m.add(text: $0) }
        return m
    }

    func inPieces(_ text: String, _ format: ListMembers.Format, cuts: [Int]) throws -> ListMembers {
        var m = ListMembers(format: format)
        let bytes = Array(text.utf8)
        var start = 0
        for cut in cuts + [bytes.count] where cut >= start {
            try bytes[start..<cut].withUnsafeBytes { try m.add(chunk: $0) }
            start = cut
        }
        try m.finishChunks()
        return m
    }

    @Test(arguments: [(lines, ListMembers.Format.lines, 6), (ndjson, .ndjson, 5)])
    func everySingleCutAndEveryPieceSizeGiveTheWholeParse(text: String, format: ListMembers.Format, ids: Int) throws {
        let expected = try whole(text, format)
        #expect(expected.count == ids)
        let size = text.utf8.count
        var variants: [[Int]] = (0...size).map { [$0] }
        for piece in 1...8 { variants.append(Array(stride(from: piece, to: size, by: piece))) }
        for cuts in variants {
            let got = try inPieces(text, format, cuts: cuts)
            #expect(got.bytes == expected.bytes, "cuts \(cuts)")
            #expect(got.starts == expected.starts, "cuts \(cuts)")
            #expect(got.lines == expected.lines, "cuts \(cuts)")
        }
    }

    @Test func aBadLineSplitAcrossPiecesIsReportedWhereTheWholeParseReportsIt() throws {
        let text = "\"u1\"\n\"u2\"\n\"u3\n\"u4\"\n"
        let expected = #expect(throws: ListMembers.ParseError.self) { try whole(text, .ndjson) }
        #expect(expected?.line == 3)
        for cut in 0...text.utf8.count {
            let got = #expect(throws: ListMembers.ParseError.self) { try inPieces(text, .ndjson, cuts: [cut]) }
            #expect(got == expected, "cut at \(cut)")
        }
    }

    @Test func aLineThatNeverEndsIsRefusedOnceItPassesTheLineLimit() throws {
        var m = ListMembers(format: .lines)
        let piece = [UInt8](repeating: UInt8(ascii: "x"), count: 16 * 1024)
        try "u1\n".utf8.withContiguousStorageIfAvailable { try m.add(chunk: UnsafeRawBufferPointer($0)) }
        let error = #expect(throws: ListMembers.ParseError.self) {
            for _ in 0..<5 { try piece.withUnsafeBytes { try m.add(chunk: $0) } }
        }
        #expect(error?.line == 2)
        #expect(error?.message.contains("longer than 65536 bytes") == true, "\(String(describing: error))")
    }
}

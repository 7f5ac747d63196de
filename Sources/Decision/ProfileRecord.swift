/// The binary layout of one stored profile, read in place from the LMDB map by ``ProfileView``.
///
/// Format 2 (written since profile deltas), little-endian, no alignment assumed (LMDB values are only
/// 2-byte aligned):
///
/// ```
/// offset 0   u8   magic 0x54 ('T')
///        1   u8   format version (2)
///        2   u8   flags: bit 0 = personalization consent granted, bit 1 = consent recorded
///        3   u8   reserved (0)
///        4   u64  profile version (bumped on every write)
///       12   u16  segment count S
///       14   u16  attribute count A
///       16   u64  last applied delta `seq` (0: none)
///       24   u32  offset of the behaviour section (0: none; layout in ``BehaviourRecord``)
///       28   u32  reserved (0)
///       32   S × (u16 id, u16 0, f32 score (NaN: none), f64 expires_at (epoch seconds, NaN: never))
///                                         explicit segment memberships, ascending by id
///       ..   A × (u16 id, u8 type, u8 0, u32 payload)   attribute index, ascending by id
///       ..   payload area, then the behaviour section
/// ```
///
/// Format 1 is the same up to offset 16, where its segment ids (S × u16) and attribute index follow
/// directly: no seq, no membership score or expiry, no behaviour. ``ProfileView`` reads both.
///
/// An index entry's `payload` is the value itself for booleans, and otherwise the byte offset (from the
/// record's start) of: an f64 (number); u32 length + UTF-8 bytes (string); u32 count + count × f64 (number
/// list); u32 count + count × (u32 length + bytes) (string list).
public enum ProfileRecord {
    /// First byte of every record.
    public static let magic: UInt8 = 0x54
    /// The format this code writes.
    public static let formatVersion: UInt8 = 2
    /// The oldest format this code still reads.
    public static let oldestReadableVersion: UInt8 = 1
    /// Size of the fixed header of format 1.
    static let headerSizeV1 = 16
    /// Size of the fixed header of format 2.
    static let headerSize = 32
    /// Size of one format-2 segment membership entry.
    static let membershipSize = 16
    /// Size of one attribute index entry.
    static let entrySize = 8

    /// Flag bit: the user granted personalization consent.
    static let flagConsentGranted: UInt8 = 1
    /// Flag bit: a consent decision is recorded (absent = never asked).
    static let flagConsentRecorded: UInt8 = 2

    /// The type tag of an attribute value.
    public enum ValueType: UInt8, Sendable {
        case null = 0
        case `false` = 1
        case `true` = 2
        case number = 3
        case string = 4
        case numberList = 5
        case stringList = 6
    }
}

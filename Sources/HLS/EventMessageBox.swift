/// An `emsg` box, version 1 (ISO/IEC 23009-1 §5.10.3.3): a timed event inside a CMAF chunk,
/// written before the chunk's `moof`. Sluice carries product events as ID3 in it, the AOM
/// "Carriage of ID3 Timed Metadata in CMAF" mapping (scheme `https://aomedia.org/emsg/ID3`),
/// which hls.js surfaces as FRAG_PARSING_METADATA.
public struct EventMessageBox: Equatable, Sendable {
    public static let id3Scheme = "https://aomedia.org/emsg/ID3"

    public var schemeIDURI: String
    public var value: String
    /// Ticks per second of `presentationTime` and `eventDuration` (Sluice uses the video track's).
    public var timescale: UInt32
    /// Absolute presentation time on the track's timeline (the same clock as `tfdt`).
    public var presentationTime: UInt64
    /// 0xFFFFFFFF: unknown.
    public var eventDuration: UInt32
    public var id: UInt32
    public var messageData: [UInt8]

    public init(schemeIDURI: String = EventMessageBox.id3Scheme, value: String = "", timescale: UInt32,
                presentationTime: UInt64, eventDuration: UInt32 = .max, id: UInt32, messageData: [UInt8]) {
        self.schemeIDURI = schemeIDURI
        self.value = value
        self.timescale = timescale
        self.presentationTime = presentationTime
        self.eventDuration = eventDuration
        self.id = id
        self.messageData = messageData
    }

    /// The whole box, size and type included.
    public var bytes: [UInt8] {
        var body: [UInt8] = [1, 0, 0, 0] // version 1, flags 0
        body.appendBig(timescale)
        body.appendBig(UInt32(truncatingIfNeeded: presentationTime >> 32))
        body.appendBig(UInt32(truncatingIfNeeded: presentationTime))
        body.appendBig(eventDuration)
        body.appendBig(id)
        body += Array(schemeIDURI.utf8) + [0]
        body += Array(value.utf8) + [0]
        body += messageData
        var out: [UInt8] = []
        out.reserveCapacity(8 + body.count)
        out.appendBig(UInt32(truncatingIfNeeded: 8 + body.count))
        out += Array("emsg".utf8)
        return out + body
    }

    /// Reads one `emsg` box (size and type included); versions 0 and 1 are not mixed up: a
    /// version-0 box (relative time) is refused, Sluice writes only version 1.
    public init(parsing box: ArraySlice<UInt8>) throws(MP4BoxError) {
        var r = MP4BoxReader(box)
        let size = try r.u32()
        guard try r.fourCC() == "emsg" else { throw MP4BoxError("not an emsg box") }
        guard size >= 8, Int(size) <= box.count else { throw MP4BoxError("emsg size \(size) outside the \(box.count) bytes given") }
        r = MP4BoxReader(box.prefix(Int(size)).dropFirst(8))
        let version = try r.u8()
        _ = try r.bytes(3)
        guard version == 1 else { throw MP4BoxError("emsg version \(version), expected 1") }
        timescale = try r.u32()
        guard timescale > 0 else { throw MP4BoxError("emsg timescale 0") }
        presentationTime = UInt64(try r.u32()) << 32 | UInt64(try r.u32())
        eventDuration = try r.u32()
        id = try r.u32()
        schemeIDURI = try r.cString()
        value = try r.cString()
        messageData = Array(r.rest)
    }
}

extension Array where Element == UInt8 {
    mutating func appendBig(_ v: UInt32) {
        append(UInt8(truncatingIfNeeded: v >> 24)); append(UInt8(truncatingIfNeeded: v >> 16))
        append(UInt8(truncatingIfNeeded: v >> 8)); append(UInt8(truncatingIfNeeded: v))
    }
}

import Foundation

/// A product event pinned to one video frame of a stream: what every rendition carries as an
/// `emsg` (ID3) in the part holding that frame and as EXT-X-DATERANGE in its playlist.
public struct TimedEvent: Sendable, Equatable {
    /// The caller's id, or one made up (`ev-<sequence>`): EXT-X-DATERANGE's ID.
    public var id: String
    /// Per stream, from 1: the emsg `id`.
    public var sequence: UInt32
    public var type: String
    /// The payload as JSON text (an object or a string literal).
    public var payload: String
    /// Program time in seconds: the presentation time of the targeted frame on the source's
    /// timeline, which every rendition shares (the transcoder keeps the source's pts).
    public var pts: Double
    /// Ingest wall clock (µs) of the targeted frame.
    public var programDateTime: Int64
    /// When the API accepted it (µs).
    public var receivedAt: Int64

    public init(id: String, sequence: UInt32, type: String, payload: String, pts: Double, programDateTime: Int64, receivedAt: Int64) {
        self.id = id
        self.sequence = sequence
        self.type = type
        self.payload = payload
        self.pts = pts
        self.programDateTime = programDateTime
        self.receivedAt = receivedAt
    }

    /// What the ID3 TXXX frame carries (description `sluice.event`): one JSON object.
    public var messageJSON: String {
        "{\"id\":\(Self.quote(id)),\"type\":\(Self.quote(type)),\"pts\":\(pts),"
            + "\"date\":\"\(ProgramDateTime.format(micros: programDateTime))\",\"payload\":\(payload)}"
    }

    /// The emsg box for a track with `timescale` ticks per second.
    public func eventMessage(timescale: UInt32) -> EventMessageBox {
        let ticks = (pts * Double(timescale)).rounded()
        return EventMessageBox(timescale: timescale, presentationTime: ticks >= 0 && ticks < 0x1p63 ? UInt64(ticks) : 0,
                               id: sequence, messageData: ID3Tag.txxx(description: Self.id3Description, value: messageJSON))
    }

    public static let id3Description = "sluice.event"
    /// EXT-X-DATERANGE's CLASS for Sluice's events.
    public static let dateRangeClass = "com.sluice.event"

    /// A JSON string literal (ids and types are restricted to safe characters; this is for safety).
    static func quote(_ s: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed])) ?? Data("[\"\"]".utf8)
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}

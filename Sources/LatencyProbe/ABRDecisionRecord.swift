import ABR

/// One live ABR decision with its input, as JSON: what `sluice probe --abr --record` writes
/// and the Swift/JavaScript parity check replays. The input's fields sit at the top level
/// (`LiveInput`'s own coding keys), next to `level` and `playbackRate`, which is the shape the
/// JavaScript port reads (Sources/Origin/Player/sluice-abr.js).
public struct ABRDecisionRecord: Codable, Sendable, Equatable {
    public var input: LiveInput
    /// The decision the recording policy made (nil in hand-written inputs).
    public var level: Int?
    public var playbackRate: Double?

    public init(_ input: LiveInput, _ decision: LiveDecision? = nil) {
        self.input = input
        level = decision?.level
        playbackRate = decision?.playbackRate
    }

    private enum DecisionKeys: String, CodingKey { case level, playbackRate }

    public init(from decoder: any Decoder) throws {
        input = try LiveInput(from: decoder)
        let c = try decoder.container(keyedBy: DecisionKeys.self)
        level = try c.decodeIfPresent(Int.self, forKey: .level)
        playbackRate = try c.decodeIfPresent(Double.self, forKey: .playbackRate)
    }

    public func encode(to encoder: any Encoder) throws {
        try input.encode(to: encoder)
        var c = encoder.container(keyedBy: DecisionKeys.self)
        try c.encodeIfPresent(level, forKey: .level)
        try c.encodeIfPresent(playbackRate, forKey: .playbackRate)
    }
}

public struct RTPMap: Sendable, Equatable {
    public var payloadType: Int
    public var encoding: String
    public var clockRate: UInt32
    public var channels: Int

    public init(payloadType: Int, encoding: String, clockRate: UInt32, channels: Int = 1) {
        self.payloadType = payloadType; self.encoding = encoding; self.clockRate = clockRate; self.channels = channels
    }
}

public struct RTCPSenderReport: Sendable, Equatable {
    public var ssrc: UInt32
    public var ntpTimestamp: UInt64
    public var rtpTimestamp: UInt32
    public var packetCount: UInt32
    public var octetCount: UInt32
    public var reports: [RTCPReportBlock]

    public init(ssrc: UInt32, ntpTimestamp: UInt64, rtpTimestamp: UInt32, packetCount: UInt32, octetCount: UInt32, reports: [RTCPReportBlock] = []) {
        self.ssrc = ssrc; self.ntpTimestamp = ntpTimestamp; self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount; self.octetCount = octetCount; self.reports = reports
    }
}

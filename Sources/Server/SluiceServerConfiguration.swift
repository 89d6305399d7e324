/// What `sluice serve` listens on. Port 0 picks a free port; the bound port is logged.
public struct SluiceServerConfiguration: Sendable {
    public var host: String
    public var rtmpPort: Int
    public var srtPort: Int
    public var httpPort: Int

    public init(host: String = "0.0.0.0", rtmpPort: Int = 1935, srtPort: Int = 9000, httpPort: Int = 8080) {
        self.host = host
        self.rtmpPort = rtmpPort
        self.srtPort = srtPort
        self.httpPort = httpPort
    }
}

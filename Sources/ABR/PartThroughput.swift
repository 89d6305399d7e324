/// Throughput of one part measured from its first byte (hls.js #2861, #3563): an LL-HLS part request
/// blocks until the encoder has produced it, so request-start timing reads the encoder's pace, not
/// the link's. A floor on the transfer time keeps a part that arrived in one burst from reading as
/// an infinite rate.
public enum PartThroughput {
    /// Transfer times below this are treated as this (one burst of a few packets).
    public static let minTransferMs = 2.0

    /// kbit/s, from the first byte to the last byte.
    public static func kbps(_ s: DownloadSample) -> Double {
        s.bytes * 8 / max(s.transferMs, minTransferMs)
    }

    /// kbit/s, from the request start (what hls.js's default measures, minus its TTFB estimate).
    public static func requestKbps(_ s: DownloadSample) -> Double {
        s.bytes * 8 / max(s.totalMs, minTransferMs)
    }
}

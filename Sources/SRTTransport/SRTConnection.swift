import CSRT

/// One accepted SRT socket. The listener's epoll thread reads it; `close` and `stats` may be
/// called from any thread (libsrt's calls are thread-safe).
public final class SRTConnection: Sendable, Hashable {
    public let socket: Int32
    public let streamID: SRTStreamID
    public let peer: String

    init(socket: Int32, streamID: SRTStreamID, peer: String) {
        self.socket = socket
        self.streamID = streamID
        self.peer = peer
    }

    public func stats() -> SRTStats? {
        var s = SRT_TRACEBSTATS()
        guard srt_bistats(socket, &s, 0, 1) == 0 else { return nil }
        return SRTStats(rttMs: s.msRTT, receiveRateMbps: s.mbpsRecvRate, bandwidthMbps: s.mbpsBandwidth,
                        packetsReceived: s.pktRecvTotal, packetsLost: Int64(s.pktRcvLossTotal),
                        packetsDropped: Int64(s.pktRcvDropTotal), packetsRetransmitted: Int64(s.pktRetransTotal),
                        receiveBufferMs: Int(s.msRcvBuf))
    }

    /// Sends one message (at most 1316 bytes in live mode) from a session's own thread. A send
    /// that cannot go out within `SRTO_SNDTIMEO` (see `setSendTimeout`) throws.
    public func send(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        let sent = srt_sendmsg2(socket, base.assumingMemoryBound(to: CChar.self), Int32(clamping: bytes.count), nil)
        if sent == SRT_ERROR { throw SRTError.last("srt_sendmsg") }
    }

    /// Blocking sends give up after `milliseconds` (a reader that stopped reading).
    public func setSendTimeout(milliseconds: Int32) {
        var value = milliseconds
        srt_setsockflag(socket, SRTO_SNDTIMEO, &value, Int32(MemoryLayout<Int32>.size))
    }

    /// Milliseconds of media in the send buffer not yet acknowledged by the reader.
    public func sendBufferMs() -> Int? {
        var s = SRT_TRACEBSTATS()
        guard srt_bistats(socket, &s, 0, 1) == 0 else { return nil }
        return Int(s.msSndBuf)
    }

    /// Closes the socket; the listener reports it closed on its thread.
    public func close() {
        srt_close(socket)
    }

    public static func == (a: SRTConnection, b: SRTConnection) -> Bool { a.socket == b.socket }
    public func hash(into hasher: inout Hasher) { hasher.combine(socket) }
}

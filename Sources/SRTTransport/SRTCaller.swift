import CSRT
import Foundation

/// An SRT connection in caller mode, as a publisher uses it: blocking connect and send (live
/// mode, 1316-byte messages), and the sender's statistics for a bitrate controller.
///
/// Not Sendable: belongs to the sending thread (libsrt's calls themselves are thread-safe).
public final class SRTCaller {
    public let socket: Int32
    private var closed = false

    /// Connects to `host:port` with `streamID` (may be empty), blocking up to `timeoutMs`.
    /// `latencyMs` is the peer's TSBPD latency we ask for; `passphrase` enables encryption.
    public init(host: String, port: Int, streamID: String, latencyMs: Int = 120, passphrase: String? = nil,
                timeoutMs: Int = 3000) throws {
        try SRTLibrary.startup()
        let sock = srt_create_socket()
        guard sock != SRT_INVALID_SOCK else { throw SRTError.last("srt_create_socket") }
        socket = sock
        // From here on a throw closes the socket through deinit.
        var latency = Int32(clamping: latencyMs)
        var timeout = Int32(clamping: timeoutMs)
        var sendTimeout: Int32 = 1000 // a stalled link must not block the sender thread forever
        let size = Int32(MemoryLayout<Int32>.size)
        srt_setsockflag(sock, SRTO_LATENCY, &latency, size)
        srt_setsockflag(sock, SRTO_CONNTIMEO, &timeout, size)
        srt_setsockflag(sock, SRTO_SNDTIMEO, &sendTimeout, size)
        if !streamID.isEmpty {
            let ok = streamID.withCString { srt_setsockflag(sock, SRTO_STREAMID, $0, Int32(strlen($0))) }
            if ok != 0 { throw SRTError.last("SRTO_STREAMID") }
        }
        if let passphrase, !passphrase.isEmpty {
            let ok = passphrase.withCString { srt_setsockflag(sock, SRTO_PASSPHRASE, $0, Int32(strlen($0))) }
            if ok != 0 { throw SRTError.last("SRTO_PASSPHRASE (10–79 characters)") }
        }
        let address = try Self.resolve(host)
        try SRTSocketAddress.with(host: address, port: port) { addr, len in
            if srt_connect(sock, addr, len) == SRT_ERROR {
                var error = SRTError.last("srt_connect \(host):\(port)")
                let reason = srt_getrejectreason(sock)
                if reason != 0 { error.message += " (\(String(cString: srt_rejectreason_str(reason))))" }
                throw error
            }
        }
    }

    deinit { close() }

    /// A numeric address for `host` (IPv4 preferred).
    static func resolve(_ host: String) throws -> String {
        if host.contains(":") || host.split(separator: ".").count == 4 && host.allSatisfy({ $0.isNumber || $0 == "." }) {
            return host
        }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else {
            throw SRTError(operation: "resolve", code: -1, message: "cannot resolve host \(host)")
        }
        defer { freeaddrinfo(result) }
        return SRTSocketAddress.describe(first.pointee.ai_addr).split(separator: ":").first.map(String.init) ?? host
    }

    /// Sends one message (at most 1316 bytes in live mode).
    public func send(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        let sent = srt_sendmsg2(socket, base.assumingMemoryBound(to: CChar.self), Int32(clamping: bytes.count), nil)
        if sent == SRT_ERROR { throw SRTError.last("srt_sendmsg") }
    }

    /// The sender's statistics since the connection started (totals) and now (buffers, RTT).
    public func senderStats() -> SRTSenderStats? {
        var s = SRT_TRACEBSTATS()
        guard srt_bistats(socket, &s, 0, 1) == 0 else { return nil }
        return SRTSenderStats(rttMs: s.msRTT, bandwidthMbps: s.mbpsBandwidth, sendRateMbps: s.mbpsSendRate,
                              packetsSent: s.pktSentTotal, packetsLost: Int64(s.pktSndLossTotal),
                              packetsRetransmitted: Int64(s.pktRetransTotal), packetsDropped: Int64(s.pktSndDropTotal),
                              bytesSent: Int64(clamping: s.byteSentTotal),
                              sendBufferMs: Int(s.msSndBuf), sendBufferPackets: Int(s.pktSndBuf),
                              sendBufferBytes: Int(s.byteSndBuf), flightPackets: Int(s.pktFlightSize))
    }

    public func close() {
        guard !closed else { return }
        closed = true
        srt_close(socket)
    }
}

import CWebRTC
import NIOCore

public enum SRTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// libsrtp2's status: 7 authentication failed, 9 replayed, 10 too old for the replay window.
    case refused(status: Int32)
    case badPacket
    case setup(code: Int32)

    public var isReplay: Bool { if case .refused(let s) = self { s == 9 || s == 10 } else { false } }
    public var isAuthenticationFailure: Bool { if case .refused(let s) = self { s == 7 } else { false } }

    public var description: String {
        switch self {
        case .refused(let s): "SRTP: packet refused (libsrtp2 status \(s))"
        case .badPacket: "SRTP: not an RTP/RTCP packet"
        case .setup(let c): "SRTP: could not create the session (error \(c))"
        }
    }
}

/// SRTP/SRTCP for one peer (libsrtp2): protect what we send with our key, unprotect what the peer
/// sends with its key; replay-protected (window 1024). Not Sendable: one owner thread frees it.
public final class SRTPSession {
    private let pointer: OpaquePointer
    public let profile: SRTPKeyMaterial.Profile
    /// Room protect needs after a packet.
    public static let maxTrailer = Int(cwebrtc_srtp_max_trailer())

    public init(keys: SRTPKeyMaterial) throws(SRTPError) {
        var p: OpaquePointer?
        let r = cwebrtc_srtp_new(keys.profile.rawValue, keys.localKeySalt, keys.remoteKeySalt, keys.localKeySalt.count, &p)
        guard r == 0, let p, keys.localKeySalt.count == keys.remoteKeySalt.count else {
            if let p { cwebrtc_srtp_free(p) }
            throw .setup(code: r)
        }
        pointer = p
        profile = keys.profile
    }

    deinit { cwebrtc_srtp_free(pointer) }

    public func protectRTP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] { try protect(packet, rtcp: false) }
    public func protectRTCP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] { try protect(packet, rtcp: true) }
    public func unprotectRTP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] { try unprotect(packet, rtcp: false) }
    public func unprotectRTCP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] { try unprotect(packet, rtcp: true) }

    /// The send path: protects straight into `buffer` (cleared first), no intermediate array.
    public func protect(_ packet: [UInt8], rtcp: Bool, into buffer: inout ByteBuffer) throws(SRTPError) {
        guard packet.count >= (rtcp ? 8 : 12), packet.count <= 65_536 else { throw .badPacket }
        buffer.clear(minimumCapacity: packet.count + Self.maxTrailer)
        var len = packet.count
        var status: Int32 = 0
        let r = buffer.withUnsafeMutableWritableBytes { raw -> Int32 in
            guard let base = raw.baseAddress, raw.count >= packet.count + Self.maxTrailer else { return Int32(CWEBRTC_ERR_SPACE) }
            raw.copyBytes(from: packet)
            let bytes = base.assumingMemoryBound(to: UInt8.self)
            return rtcp ? cwebrtc_srtp_protect_rtcp(pointer, bytes, &len, raw.count, &status)
                        : cwebrtc_srtp_protect_rtp(pointer, bytes, &len, raw.count, &status)
        }
        guard r == 0, len <= packet.count + Self.maxTrailer else {
            throw r == Int32(CWEBRTC_ERR_SRTP) ? .refused(status: status) : .badPacket
        }
        buffer.moveWriterIndex(forwardBy: len)
    }

    private func protect(_ packet: [UInt8], rtcp: Bool) throws(SRTPError) -> [UInt8] {
        guard packet.count >= (rtcp ? 8 : 12), packet.count <= 65_536 else { throw .badPacket }
        var buf = packet
        buf.append(contentsOf: repeatElement(0, count: Self.maxTrailer))
        var len = packet.count
        var status: Int32 = 0
        let r = buf.withUnsafeMutableBufferPointer { b in
            rtcp ? cwebrtc_srtp_protect_rtcp(pointer, b.baseAddress, &len, b.count, &status)
                 : cwebrtc_srtp_protect_rtp(pointer, b.baseAddress, &len, b.count, &status)
        }
        guard r == 0, len <= buf.count else { throw r == Int32(CWEBRTC_ERR_SRTP) ? .refused(status: status) : .badPacket }
        buf.removeLast(buf.count - len)
        return buf
    }

    private func unprotect(_ packet: [UInt8], rtcp: Bool) throws(SRTPError) -> [UInt8] {
        guard packet.count >= (rtcp ? 8 : 12), packet.count <= 65_536 else { throw .badPacket }
        var buf = packet
        var len = packet.count
        var status: Int32 = 0
        let r = buf.withUnsafeMutableBufferPointer { b in
            rtcp ? cwebrtc_srtp_unprotect_rtcp(pointer, b.baseAddress, &len, &status)
                 : cwebrtc_srtp_unprotect_rtp(pointer, b.baseAddress, &len, &status)
        }
        guard r == 0, len <= buf.count else { throw r == Int32(CWEBRTC_ERR_SRTP) ? .refused(status: status) : .badPacket }
        buf.removeLast(buf.count - len)
        return buf
    }
}

@available(*, unavailable) extension SRTPSession: Sendable {}

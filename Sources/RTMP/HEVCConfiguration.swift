import NIOCore

/// What Sluice reads from an hvcC record: the picture size from its SPS (H.265 7.3.2.2).
public struct HEVCConfiguration: Sendable, Equatable {
    public var width: Int
    public var height: Int

    public init(hvcC: ByteBuffer) throws {
        var p = hvcC
        guard p.readableBytes >= 23 else { throw RTMPError.malformedMessage("hvcC too short") }
        p.moveReaderIndex(forwardBy: 22)
        let arrays = p.readInteger(as: UInt8.self)!
        for _ in 0..<arrays {
            guard let type = p.readInteger(as: UInt8.self), let count = p.readInteger(as: UInt16.self) else { break }
            for _ in 0..<count {
                guard let len = p.readInteger(as: UInt16.self), let nal = p.readBytes(length: Int(len)) else {
                    throw RTMPError.malformedMessage("hvcC truncated")
                }
                if type & 0x3F == 33, nal.count > 2 {
                    (width, height) = try Self.parseSPS(Array(nal.dropFirst(2)))
                    return
                }
            }
        }
        throw RTMPError.malformedMessage("hvcC without SPS")
    }

    static func parseSPS(_ payload: [UInt8]) throws -> (Int, Int) {
        var r = BitReader(nal: payload)
        _ = try r.u(4) // sps_video_parameter_set_id
        let maxSubLayersMinus1 = Int(try r.u(3))
        _ = try r.u(1)
        // profile_tier_level(1, maxSubLayersMinus1)
        _ = try r.u(32); _ = try r.u(32); _ = try r.u(32) // general profile, flags, constraints, level
        var subProfile = [Bool](), subLevel = [Bool]()
        for _ in 0..<maxSubLayersMinus1 {
            subProfile.append(try r.flag())
            subLevel.append(try r.flag())
        }
        if maxSubLayersMinus1 > 0 {
            for _ in maxSubLayersMinus1..<8 { _ = try r.u(2) }
        }
        for i in 0..<maxSubLayersMinus1 {
            if subProfile[i] { _ = try r.u(32); _ = try r.u(32); _ = try r.u(24) }
            if subLevel[i] { _ = try r.u(8) }
        }
        _ = try r.ue() // sps_seq_parameter_set_id
        let chroma = try r.ue()
        var separatePlanes = false
        if chroma == 3 { separatePlanes = try r.flag() }
        var width = Int(try r.ue())
        var height = Int(try r.ue())
        if try r.flag() { // conformance_window_flag
            let (l, rt, t, b) = (Int(try r.ue()), Int(try r.ue()), Int(try r.ue()), Int(try r.ue()))
            let c = separatePlanes ? 0 : chroma
            let subW = c == 1 || c == 2 ? 2 : 1
            let subH = c == 1 ? 2 : 1
            width -= (l + rt) * subW
            height -= (t + b) * subH
        }
        guard width > 0, height > 0 else { throw RTMPError.malformedMessage("SPS: bad picture size") }
        return (width, height)
    }
}

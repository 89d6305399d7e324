import NIOCore

/// What Sluice reads from an avcC record: the picture size from the first SPS.
public struct AVCConfiguration: Sendable, Equatable {
    public var width: Int
    public var height: Int

    public init(avcC: ByteBuffer) throws {
        var p = avcC
        guard p.readableBytes >= 8 else { throw RTMPError.malformedMessage("avcC too short") }
        p.moveReaderIndex(forwardBy: 5)
        let spsCount = p.readInteger(as: UInt8.self)! & 0x1F
        guard spsCount > 0, let len = p.readInteger(as: UInt16.self), let sps = p.readBytes(length: Int(len)), sps.count > 1 else {
            throw RTMPError.malformedMessage("avcC without SPS")
        }
        (width, height) = try Self.parseSPS(Array(sps.dropFirst()))
    }

    /// H.264 7.3.2.1.1, up to frame cropping.
    static func parseSPS(_ nalPayload: [UInt8]) throws -> (Int, Int) {
        var r = BitReader(nal: nalPayload)
        let profile = try r.u(8)
        _ = try r.u(16) // constraint flags, level
        _ = try r.ue()
        var chromaFormat: UInt32 = 1
        var separatePlanes = false
        if [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135].contains(profile) {
            chromaFormat = try r.ue()
            if chromaFormat == 3 { separatePlanes = try r.flag() }
            _ = try r.ue()
            _ = try r.ue()
            _ = try r.u(1)
            if try r.flag() {
                for i in 0..<(chromaFormat == 3 ? 12 : 8) where try r.flag() {
                    var last: Int64 = 8, next: Int64 = 8
                    for _ in 0..<(i < 6 ? 16 : 64) {
                        if next != 0 { next = ((last + Int64(try r.se())) % 256 + 256) % 256 }
                        last = next == 0 ? last : next
                    }
                }
            }
        }
        _ = try r.ue() // log2_max_frame_num_minus4
        let pocType = try r.ue()
        if pocType == 0 {
            _ = try r.ue()
        } else if pocType == 1 {
            _ = try r.u(1)
            _ = try r.se()
            _ = try r.se()
            let n = try r.ue()
            guard n < 256 else { throw RTMPError.malformedMessage("SPS: bad ref cycle") }
            for _ in 0..<n { _ = try r.se() }
        }
        _ = try r.ue()
        _ = try r.u(1)
        let widthMbs = Int(try r.ue()) + 1
        let heightMapUnits = Int(try r.ue()) + 1
        let frameMbsOnly = try r.flag()
        if !frameMbsOnly { _ = try r.u(1) }
        _ = try r.u(1)
        var crop = (l: 0, r: 0, t: 0, b: 0)
        if try r.flag() {
            crop = (Int(try r.ue()), Int(try r.ue()), Int(try r.ue()), Int(try r.ue()))
        }
        let fieldFactor = frameMbsOnly ? 1 : 2
        let chroma = separatePlanes ? 0 : chromaFormat
        let cropX = chroma == 0 || chroma == 3 ? 1 : 2
        let cropY = (chroma == 1 ? 2 : 1) * fieldFactor
        let width = widthMbs * 16 - (crop.l + crop.r) * cropX
        let height = fieldFactor * heightMapUnits * 16 - (crop.t + crop.b) * cropY
        guard width > 0, height > 0 else { throw RTMPError.malformedMessage("SPS: bad picture size") }
        return (width, height)
    }
}

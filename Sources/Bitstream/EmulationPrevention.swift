/// H.264/HEVC emulation prevention: inside a NAL unit, `00 00 0x` (x ≤ 3) is written as
/// `00 00 03 0x` so a start code can never appear in the payload.
public enum EmulationPrevention {
    /// RBSP (raw payload) to NAL payload bytes.
    public static func add(_ rbsp: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(rbsp.count + rbsp.count / 64 + 4)
        var zeros = 0
        for byte in rbsp {
            if zeros >= 2 && byte <= 3 {
                out.append(3)
                zeros = 0
            }
            out.append(byte)
            zeros = byte == 0 ? zeros + 1 : 0
        }
        return out
    }

    /// NAL payload bytes to RBSP: drops each `03` that follows two zero bytes.
    public static func remove(_ payload: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count)
        var zeros = 0
        for byte in payload {
            if zeros >= 2 && byte == 3 {
                zeros = 0
                continue
            }
            out.append(byte)
            zeros = byte == 0 ? zeros + 1 : 0
        }
        return out
    }
}

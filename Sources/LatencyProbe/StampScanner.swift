import Bitstream

/// Finds latency stamps in any bytes that carry H.264/HEVC access units: AVCC or Annex B
/// payloads, fMP4 parts, MPEG-TS. It looks for the stamp's UUID and reads the clock after it,
/// dropping emulation-prevention bytes, so it needs no container parser.
public enum StampScanner {
    public static func stamps(in bytes: some Collection<UInt8>) -> [Int64] {
        let b = Array(bytes)
        let uuid = LatencyStamp.uuid
        var found: [Int64] = []
        var i = 0
        while i + uuid.count + 8 <= b.count {
            guard b[i] == uuid[0], Array(b[i..<i + uuid.count]) == uuid else {
                i += 1
                continue
            }
            var j = i + uuid.count
            var value: UInt64 = 0
            var taken = 0
            var zeros = 0
            while taken < 8, j < b.count {
                let byte = b[j]
                j += 1
                if zeros >= 2, byte == 3 { zeros = 0; continue } // emulation prevention
                zeros = byte == 0 ? zeros + 1 : 0
                value = value << 8 | UInt64(byte)
                taken += 1
            }
            if taken == 8 { found.append(Int64(bitPattern: value)) }
            i = j
        }
        return found
    }
}

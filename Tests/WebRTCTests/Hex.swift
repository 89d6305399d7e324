/// Hex as RFCs print it (spaces and line breaks) to bytes.
func hex(_ s: String) -> [UInt8] {
    let digits = Array(s.filter(\.isHexDigit))
    return stride(from: 0, to: digits.count - 1, by: 2).compactMap { UInt8(String(digits[$0...$0 + 1]), radix: 16) }
}

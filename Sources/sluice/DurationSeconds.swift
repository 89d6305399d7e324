import NIOCore

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension TimeAmount {
    var seconds: Double { Double(nanoseconds) / 1e9 }
}

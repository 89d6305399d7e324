/// The packets recently sent, by sequence number, for answering NACKs. Bounded by packet count
/// and by bytes: the oldest go first.
public struct RetransmissionHistory: Sendable {
    public let capacity: Int
    public let byteCapacity: Int
    /// A ring of the stored packets in the order they were stored.
    private var ring: [(seq: UInt16, packet: [UInt8])?]
    /// seq → the absolute store count of its slot (slot = index % capacity).
    private var index: [UInt16: Int] = [:]
    private var written = 0     // absolute index of the next store
    private var oldest = 0      // absolute index of the oldest slot that may be occupied
    public private(set) var bytes = 0

    public init(capacity: Int, byteCapacity: Int) {
        self.capacity = max(capacity, 1)
        self.byteCapacity = max(byteCapacity, 1)
        ring = Array(repeating: nil, count: self.capacity)
    }

    public var count: Int { index.count }

    public mutating func store(seq: UInt16, packet: [UInt8]) {
        guard packet.count <= byteCapacity else { return }
        if let previous = index[seq] { evict(previous) }   // the same number again after a wrap
        if written - oldest == capacity { evict(oldest) }
        ring[written % capacity] = (seq, packet)
        index[seq] = written
        bytes += packet.count
        written += 1
        while bytes > byteCapacity, oldest < written { evict(oldest) }
        while oldest < written, ring[oldest % capacity] == nil { oldest += 1 }
    }

    private mutating func evict(_ absolute: Int) {
        let slot = absolute % capacity
        if let entry = ring[slot] {
            bytes -= entry.packet.count
            if index[entry.seq] == absolute { index[entry.seq] = nil }
            ring[slot] = nil
        }
        if absolute == oldest { oldest += 1 }
    }

    public func packet(seq: UInt16) -> [UInt8]? {
        guard let absolute = index[seq] else { return nil }
        return ring[absolute % capacity]?.packet
    }
}

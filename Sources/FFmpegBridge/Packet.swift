import CFFmpeg
import MediaCore
import NIOCore

/// An owned AVPacket, freed when the last reference goes.
///
/// @unchecked Sendable: a packet is handed from one codec thread to the next through queues
/// and is never touched by two threads at once; FFmpeg's refcounted buffers are thread-safe.
public final class Packet: @unchecked Sendable {
    /// Internal: callers use the accessors, so only this module touches the AVPacket.
    let pointer: UnsafeMutablePointer<AVPacket>

    public init() {
        guard let p = av_packet_alloc() else { fatalError("av_packet_alloc: out of memory") }
        pointer = p
    }

    /// A packet holding a copy of `bytes`.
    public convenience init(copying bytes: UnsafeRawBufferPointer) throws {
        self.init()
        try check(av_new_packet(pointer, try int32(bytes.count, "packet size")), "av_new_packet")
        if let base = bytes.baseAddress, bytes.count > 0 {
            pointer.pointee.data.update(from: base.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        }
    }

    public convenience init(copying buffer: ByteBuffer) throws {
        self.init()
        try check(av_new_packet(pointer, try int32(buffer.readableBytes, "packet size")), "av_new_packet")
        buffer.withUnsafeReadableBytes { raw in
            if let base = raw.baseAddress, raw.count > 0 {
                pointer.pointee.data.update(from: base.assumingMemoryBound(to: UInt8.self), count: raw.count)
            }
        }
    }

    deinit {
        var p: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&p)
    }

    public var pts: Int64 {
        get { pointer.pointee.pts }
        set { pointer.pointee.pts = newValue }
    }
    public var dts: Int64 {
        get { pointer.pointee.dts }
        set { pointer.pointee.dts = newValue }
    }
    public var duration: Int64 {
        get { pointer.pointee.duration }
        set { pointer.pointee.duration = newValue }
    }
    public var isKeyframe: Bool {
        get { pointer.pointee.flags & AV_PKT_FLAG_KEY != 0 }
        set {
            if newValue { pointer.pointee.flags |= AV_PKT_FLAG_KEY } else { pointer.pointee.flags &= ~AV_PKT_FLAG_KEY }
        }
    }
    public var streamIndex: Int32 {
        get { pointer.pointee.stream_index }
        set { pointer.pointee.stream_index = newValue }
    }
    public var size: Int { Int(pointer.pointee.size) }

    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: pointer.pointee.data, count: Int(pointer.pointee.size))
    }

    public func byteBuffer(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: size)
        buffer.writeBytes(bytes)
        return buffer
    }

    /// Rescales pts, dts and duration between timebases (av_packet_rescale_ts).
    public func rescale(from source: Rational, to target: Rational) {
        av_packet_rescale_ts(pointer, source.av, target.av)
    }
}

extension Rational {
    public var av: AVRational { AVRational(num: num, den: den) }
    public init(_ av: AVRational) { self.init(av.num, av.den) }
}

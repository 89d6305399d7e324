import CFFmpeg

/// Owns an AVCodecContext; the one place it is freed.
final class CodecContext {
    let pointer: UnsafeMutablePointer<AVCodecContext>
    let codec: UnsafePointer<AVCodec>

    init(codec: UnsafePointer<AVCodec>) throws {
        guard let p = avcodec_alloc_context3(codec) else {
            throw FFmpegError("avcodec_alloc_context3", message: "out of memory")
        }
        self.pointer = p
        self.codec = codec
    }

    deinit {
        var p: UnsafeMutablePointer<AVCodecContext>? = pointer
        avcodec_free_context(&p)
    }

    var name: String { String(cString: codec.pointee.name) }

    /// Opens the codec with private options (`preset`, `tune`, `x264-params`, ...). Options the
    /// codec does not know are an error, not silently ignored.
    func open(options: [String: String]) throws {
        let dict = AVOptions(options)
        try check(avcodec_open2(pointer, codec, &dict.pointer), "avcodec_open2 \(name)")
        let unknown = dict.remainingKeys
        if !unknown.isEmpty {
            throw FFmpegError("avcodec_open2 \(name)", message: "unknown options: \(unknown.joined(separator: ", "))")
        }
    }

    func setExtradata(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        let size = bytes.count
        let size32 = try int32(size, "extradata size")
        guard let buf = av_mallocz(size + Int(AV_INPUT_BUFFER_PADDING_SIZE)) else {
            throw FFmpegError("extradata", message: "out of memory")
        }
        buf.copyMemory(from: bytes.baseAddress!, byteCount: size)
        av_freep(&pointer.pointee.extradata)
        pointer.pointee.extradata = buf.assumingMemoryBound(to: UInt8.self)
        pointer.pointee.extradata_size = size32
    }

    var extradata: [UInt8] {
        guard let data = pointer.pointee.extradata, pointer.pointee.extradata_size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: Int(pointer.pointee.extradata_size)))
    }
}

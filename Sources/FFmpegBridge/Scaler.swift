import CFFmpeg

/// libswscale: converts a picture's size and pixel format.
///
/// Not Sendable: a scaler belongs to the thread that created it.
public final class Scaler {
    public struct Quality: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let fastBilinear = Quality(rawValue: SWS_FAST_BILINEAR)
        public static let bilinear = Quality(rawValue: SWS_BILINEAR)
        public static let bicubic = Quality(rawValue: SWS_BICUBIC)
        public static let area = Quality(rawValue: SWS_AREA)
        public static let lanczos = Quality(rawValue: SWS_LANCZOS)
        /// Exact rounding and full chroma interpolation, for references rather than live work.
        public static let accurate = Quality(rawValue: SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT)
    }

    private let context: OpaquePointer
    public let outputWidth: Int
    public let outputHeight: Int
    public let outputFormat: AVPixelFormat

    public init(inputWidth: Int, inputHeight: Int, inputFormat: AVPixelFormat,
                outputWidth: Int, outputHeight: Int, outputFormat: AVPixelFormat = AV_PIX_FMT_YUV420P,
                quality: Quality = .bilinear) throws {
        guard inputWidth > 0, inputHeight > 0, outputWidth > 0, outputHeight > 0 else {
            throw FFmpegError("sws_getContext", message: "invalid size \(inputWidth)x\(inputHeight) -> \(outputWidth)x\(outputHeight)")
        }
        guard let ctx = sws_getContext(try int32(inputWidth, "scaler input width"), try int32(inputHeight, "scaler input height"), inputFormat,
                                       try int32(outputWidth, "scaler output width"), try int32(outputHeight, "scaler output height"), outputFormat,
                                       quality.rawValue, nil, nil, nil) else {
            throw FFmpegError("sws_getContext", message: "unsupported conversion \(inputWidth)x\(inputHeight) fmt \(inputFormat.rawValue) -> \(outputWidth)x\(outputHeight) fmt \(outputFormat.rawValue)")
        }
        context = ctx
        self.outputWidth = outputWidth
        self.outputHeight = outputHeight
        self.outputFormat = outputFormat
    }

    deinit {
        sws_freeContext(context)
    }

    /// A new frame with the scaled picture; pts and keyframe intent carry over.
    public func scale(_ input: Frame) throws -> Frame {
        let output = try Frame(width: outputWidth, height: outputHeight, format: outputFormat)
        try check(av_frame_copy_props(output.pointer, input.pointer), "av_frame_copy_props")
        try check(sws_scale_frame(context, output.pointer, input.pointer), "sws_scale_frame")
        return output
    }
}

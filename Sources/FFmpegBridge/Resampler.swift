import CFFmpeg

/// libswresample: converts sample rate, sample format and channel layout.
///
/// Not Sendable: a resampler belongs to the thread that created it.
public final class Resampler {
    private var context: OpaquePointer?
    public let outputRate: Int
    public let outputChannels: Int
    public let outputFormat: AVSampleFormat

    public init(inputRate: Int, inputChannels: Int, inputFormat: AVSampleFormat,
                outputRate: Int, outputChannels: Int, outputFormat: AVSampleFormat) throws {
        self.outputRate = outputRate
        self.outputChannels = outputChannels
        self.outputFormat = outputFormat
        // Every stored property is set from here on: on a throw, deinit frees the SwrContext.
        var inLayout = AVChannelLayout()
        var outLayout = AVChannelLayout()
        av_channel_layout_default(&inLayout, try int32(inputChannels, "resampler input channels"))
        av_channel_layout_default(&outLayout, try int32(outputChannels, "resampler output channels"))
        defer {
            av_channel_layout_uninit(&inLayout)
            av_channel_layout_uninit(&outLayout)
        }
        try check(swr_alloc_set_opts2(&context, &outLayout, outputFormat, try int32(outputRate, "resampler output rate"),
                                      &inLayout, inputFormat, try int32(inputRate, "resampler input rate"), 0, nil),
                  "swr_alloc_set_opts2")
        try check(swr_init(context), "swr_init")
    }

    deinit {
        swr_free(&context)
    }

    /// Converts `input` (or drains buffered samples when `nil`). May return an empty frame
    /// while the resampler fills its filter; pts is the caller's to assign.
    public func convert(_ input: Frame?) throws -> Frame {
        let inputSamples = input?.sampleCount ?? 0
        let capacity = Int(swr_get_out_samples(context, try int32(inputSamples, "resampler input samples")))
        let output = try Frame(samples: max(capacity, 1), format: outputFormat,
                               sampleRate: outputRate, channels: outputChannels)
        let converted = try withInputData(input) { data, count in
            try check(swr_convert(context, output.pointer.pointee.extended_data, output.pointer.pointee.nb_samples, data, count), "swr_convert")
        }
        output.pointer.pointee.nb_samples = converted
        return output
    }

    private func withInputData(_ input: Frame?, _ body: (UnsafeMutablePointer<UnsafePointer<UInt8>?>?, Int32) throws -> Int32) throws -> Int32 {
        guard let input else { return try body(nil, 0) }
        return try input.pointer.pointee.extended_data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) {
            try body($0, input.pointer.pointee.nb_samples)
        }
    }
}

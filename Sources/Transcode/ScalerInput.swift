/// The picture geometry a rung's scaler was built for; a change (new SPS, a cascade parent
/// that skipped a frame) rebuilds the scaler.
struct ScalerInput: Equatable {
    var width: Int
    var height: Int
    var format: Int32
}

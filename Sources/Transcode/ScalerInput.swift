/// The picture geometry a rung's scaler was built for (the key of the rung's scaler cache).
struct ScalerInput: Hashable {
    var width: Int
    var height: Int
    var format: Int32
}

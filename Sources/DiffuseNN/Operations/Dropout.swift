import DiffuseTensor

extension Variable {
    /// Inverted dropout: each element is zeroed with probability `rate` and the rest scaled by
    /// 1/(1 − rate), so the expectation is unchanged. Row i (first axis) draws its mask from
    /// `key.folding(in: i)`. Returns the input unchanged when `key` is nil (evaluation) or
    /// `rate` is 0.
    public func dropout(rate: Double, key: RandomKey?) -> Variable {
        precondition(rate >= 0 && rate < 1, "dropout rate must be in [0, 1), got \(rate)")
        guard let key, rate > 0 else { return self }
        let keep = Tensor<Scalar>.randomUniform(shape: shape.isEmpty ? [1] : shape, key: key)
            .reshaped(shape).isGreaterOrEqual(to: Tensor(Scalar(rate))) * (1 / Scalar(1 - rate))
        return self * keep
    }
}

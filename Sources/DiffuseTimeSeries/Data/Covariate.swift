/// A dynamic covariate of a series: one value per step of the series (a temperature, a price, a
/// holiday flag from the data), missing values marked as in ``TimeSeries``.
///
/// Whether a model may read a covariate over the forecast horizon (known in the future, as
/// calendar-driven flags or weather forecasts are) or only over the context is the model's
/// configuration (``SeriesConditioning``), not the data's.
public struct Covariate: Sendable, Equatable {
    public var name: String
    /// The values; missing entries hold 0 and have `observed[i] == false`.
    public var values: [Double]
    public var observed: [Bool]

    public init(name: String, values: [Double], observed: [Bool]) {
        precondition(values.count == observed.count, "covariate '\(name)': values and observed flags differ in length")
        self.name = name
        self.values = values
        self.observed = observed
    }

    public init(name: String, values: [Double?]) {
        self.init(name: name, values: values.map { $0 ?? 0 }, observed: values.map { $0 != nil })
    }

    /// The value at step `i` when it is within the covariate and observed.
    public func value(at i: Int) -> Double? {
        i >= 0 && i < values.count && observed[i] ? values[i] : nil
    }

    /// The part with indices in `range`.
    public func slice(_ range: Range<Int>) -> Covariate {
        Covariate(name: name, values: Array(values[range]), observed: Array(observed[range]))
    }
}

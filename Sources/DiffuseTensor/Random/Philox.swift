/// The Philox-4×32-10 counter-based generator (Salmon, Moraes, Dror & Shaw, "Parallel random
/// numbers: as easy as 1, 2, 3", SC 2011): a keyed bijection of a 128-bit counter, ten rounds of
/// multiply-high/low and xor with a Weyl-sequence key schedule.
///
/// Being counter-based, any block of any stream can be computed directly from (key, counter),
/// which is what makes every sample's random numbers independent of batch size and thread
/// count. Checked against the known-answer vectors of Random123 (`kat_vectors`).
public enum Philox4x32 {
    static let multiplier0: UInt32 = 0xD251_1F53
    static let multiplier1: UInt32 = 0xCD9E_8D57
    static let weyl0: UInt32 = 0x9E37_79B9
    static let weyl1: UInt32 = 0xBB67_AE85

    /// The 4 × 32-bit output block for a counter and key.
    @inlinable
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var c = counter
        var k = key
        for round in 0..<10 {
            if round > 0 {
                k.x &+= 0x9E37_79B9
                k.y &+= 0xBB67_AE85
            }
            let p0 = UInt64(0xD251_1F53) &* UInt64(c.x)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(c.z)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
            c = SIMD4(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0)
        }
        return c
    }
}

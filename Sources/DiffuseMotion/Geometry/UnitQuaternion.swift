import DiffuseTensor
import Foundation

/// A point or direction in the motion coordinate frame: metres, Y up, a character at rest
/// faces +Z and its left is +X (the HumanML3D convention).
public typealias Vector3 = SIMD3<Double>

extension SIMD3 where Scalar == Double {
    /// The dot product.
    @inlinable public func dot(_ other: Vector3) -> Double { (self * other).sum() }

    /// The cross product `self × other`.
    @inlinable public func cross(_ other: Vector3) -> Vector3 {
        Vector3(y * other.z - z * other.y, z * other.x - x * other.z, x * other.y - y * other.x)
    }

    /// The Euclidean length.
    @inlinable public var length: Double { dot(self).squareRoot() }

    /// The vector scaled to unit length (unchanged when its length is zero).
    @inlinable public var normalized: Vector3 {
        let l = length
        return l > 0 ? self / l : self
    }
}

/// A rotation in three dimensions as a unit quaternion `w + xi + yj + zk`.
///
/// Composition follows the Hamilton product: `(a * b).rotate(v) == a.rotate(b.rotate(v))`.
/// The 6D form is the first two columns of the rotation matrix (Zhou et al. 2019, "On the
/// continuity of rotation representations", as HumanML3D stores it); its inverse orthonormalises
/// them by Gram–Schmidt, so any two non-parallel columns give a rotation.
public struct UnitQuaternion: Equatable, Sendable, CustomStringConvertible {
    public var w: Double
    public var x: Double
    public var y: Double
    public var z: Double

    /// The quaternion with the given components, scaled to unit length.
    public init(w: Double, x: Double, y: Double, z: Double) {
        let n = (w * w + x * x + y * y + z * z).squareRoot()
        precondition(n > 0 && n.isFinite, "a rotation needs a finite, non-zero quaternion")
        self.w = w / n; self.x = x / n; self.y = y / n; self.z = z / n
    }

    /// No rotation.
    public static let identity = UnitQuaternion(w: 1, x: 0, y: 0, z: 0)

    /// The rotation by `angle` radians about `axis` (right-handed).
    public init(axis: Vector3, angle: Double) {
        let a = axis.normalized, s = sin(angle / 2)
        self.init(w: cos(angle / 2), x: a.x * s, y: a.y * s, z: a.z * s)
    }

    /// The rotation by `angle` radians about +Y: a heading change.
    public static func yaw(_ angle: Double) -> UnitQuaternion { UnitQuaternion(axis: Vector3(0, 1, 0), angle: angle) }

    /// The smallest rotation taking the direction of `from` onto the direction of `to`. When the two
    /// are opposite, the half turn is about an axis perpendicular to `from`.
    public init(from: Vector3, to: Vector3) {
        let u = from.normalized, v = to.normalized
        let c = u.dot(v)
        if c < -1 + 1e-12 {
            // Half turn about any axis perpendicular to u.
            let helper = abs(u.x) < 0.9 ? Vector3(1, 0, 0) : Vector3(0, 1, 0)
            let axis = u.cross(helper).normalized
            self.init(w: 0, x: axis.x, y: axis.y, z: axis.z)
            return
        }
        let axis = u.cross(v)
        self.init(w: 1 + c, x: axis.x, y: axis.y, z: axis.z)
    }

    /// The rotation whose matrix has the given columns (orthonormal, determinant +1), by
    /// Shepperd's method (the largest of the four squared components is taken first).
    public init(columns c0: Vector3, _ c1: Vector3, _ c2: Vector3) {
        let m00 = c0.x, m10 = c0.y, m20 = c0.z
        let m01 = c1.x, m11 = c1.y, m21 = c1.z
        let m02 = c2.x, m12 = c2.y, m22 = c2.z
        let trace = m00 + m11 + m22
        if trace >= max(m00, m11, m22) {
            let s = (1 + trace).squareRoot() * 2
            self.init(w: s / 4, x: (m21 - m12) / s, y: (m02 - m20) / s, z: (m10 - m01) / s)
        } else if m00 >= m11 && m00 >= m22 {
            let s = (1 + m00 - m11 - m22).squareRoot() * 2
            self.init(w: (m21 - m12) / s, x: s / 4, y: (m01 + m10) / s, z: (m02 + m20) / s)
        } else if m11 >= m22 {
            let s = (1 + m11 - m00 - m22).squareRoot() * 2
            self.init(w: (m02 - m20) / s, x: (m01 + m10) / s, y: s / 4, z: (m12 + m21) / s)
        } else {
            let s = (1 + m22 - m00 - m11).squareRoot() * 2
            self.init(w: (m10 - m01) / s, x: (m02 + m20) / s, y: (m12 + m21) / s, z: s / 4)
        }
    }

    /// The rotation from its 6D form `[first column, second column]` by Gram–Schmidt.
    /// Returns nil when the two columns are (nearly) parallel or not finite.
    public init?(sixD r: [Double]) {
        precondition(r.count == 6, "the 6D form has six numbers")
        let a1 = Vector3(r[0], r[1], r[2]), a2 = Vector3(r[3], r[4], r[5])
        guard r.allSatisfy({ $0.isFinite }), a1.length > 1e-9 else { return nil }
        let b1 = a1.normalized
        let rest = a2 - b1.dot(a2) * b1
        guard rest.length > 1e-9 else { return nil }
        let b2 = rest.normalized
        self.init(columns: b1, b2, b1.cross(b2))
    }

    /// The first two columns of the rotation matrix.
    public var sixD: [Double] {
        let (c0, c1, _) = columns
        return [c0.x, c0.y, c0.z, c1.x, c1.y, c1.z]
    }

    /// The columns of the rotation matrix (the images of the unit axes).
    public var columns: (Vector3, Vector3, Vector3) {
        (rotate(Vector3(1, 0, 0)), rotate(Vector3(0, 1, 0)), rotate(Vector3(0, 0, 1)))
    }

    /// The inverse rotation.
    public var inverse: UnitQuaternion {
        var q = self
        q.x = -x; q.y = -y; q.z = -z
        return q
    }

    /// The same rotation written with `w ≥ 0`.
    public var canonical: UnitQuaternion {
        guard w < 0 else { return self }
        var q = self
        q.w = -w; q.x = -x; q.y = -y; q.z = -z
        return q
    }

    /// The rotation angle in [0, π].
    public var angle: Double { 2 * atan2((x * x + y * y + z * z).squareRoot(), abs(w)) }

    /// `v` rotated.
    @inlinable public func rotate(_ v: Vector3) -> Vector3 {
        let u = Vector3(x, y, z)
        let t = 2 * u.cross(v)
        return v + w * t + u.cross(t)
    }

    /// The Hamilton product: first `rhs`, then `lhs`.
    public static func * (lhs: UnitQuaternion, rhs: UnitQuaternion) -> UnitQuaternion {
        var q = UnitQuaternion.identity
        q.w = lhs.w * rhs.w - lhs.x * rhs.x - lhs.y * rhs.y - lhs.z * rhs.z
        q.x = lhs.w * rhs.x + lhs.x * rhs.w + lhs.y * rhs.z - lhs.z * rhs.y
        q.y = lhs.w * rhs.y - lhs.x * rhs.z + lhs.y * rhs.w + lhs.z * rhs.x
        q.z = lhs.w * rhs.z + lhs.x * rhs.y - lhs.y * rhs.x + lhs.z * rhs.w
        return q
    }

    /// The rotation that best maps the vectors `from[i]` onto `to[i]` in least squares (Horn 1987,
    /// "Closed-form solution of absolute orientation using unit quaternions": the eigenvector of the
    /// largest eigenvalue of a symmetric 4×4 matrix). Exact when `to` is a rotated copy of `from`.
    public static func bestFit(from: [Vector3], to: [Vector3]) -> UnitQuaternion {
        precondition(from.count == to.count && !from.isEmpty)
        var s = [[Double]](repeating: [0, 0, 0], count: 3)
        for (a, b) in zip(from, to) {
            let av = [a.x, a.y, a.z], bv = [b.x, b.y, b.z]
            for i in 0..<3 { for j in 0..<3 { s[i][j] += av[i] * bv[j] } }
        }
        let (xx, xy, xz) = (s[0][0], s[0][1], s[0][2])
        let (yx, yy, yz) = (s[1][0], s[1][1], s[1][2])
        let (zx, zy, zz) = (s[2][0], s[2][1], s[2][2])
        let n: [Double] = [
            xx + yy + zz, yz - zy, zx - xz, xy - yx,
            yz - zy, xx - yy - zz, xy + yx, zx + xz,
            zx - xz, xy + yx, -xx + yy - zz, yz + zy,
            xy - yx, zx + xz, yz + zy, -xx - yy + zz,
        ]
        guard let (_, vectors) = try? Tensor<Double>(shape: [4, 4], scalars: n).symmetricEigendecomposition() else {
            return .identity
        }
        let v = vectors.scalars  // columns are eigenvectors, ascending eigenvalues: take the last
        return UnitQuaternion(w: v[3], x: v[7], y: v[11], z: v[15]).canonical
    }

    /// Euler angles in radians for the intrinsic order Z, then Y, then X — the matrix
    /// `Rz(z) · Ry(y) · Rx(x)`, which is what a BVH channel list "Zrotation Yrotation Xrotation"
    /// means. At gimbal lock (|y| = π/2) the Z angle is set to zero.
    public var eulerZYX: (z: Double, y: Double, x: Double) {
        let (c0, c1, c2) = columns
        let r20 = c0.z
        if abs(r20) < 1 - 1e-12 {
            let ey = asin(-r20)
            return (atan2(c0.y, c0.x), ey, atan2(c1.z, c2.z))
        }
        let sy: Double = r20 < 0 ? 1 : -1
        return (0, sy * .pi / 2, atan2(c1.x * sy, c2.x * sy))
    }

    public var description: String { "UnitQuaternion(w: \(w), x: \(x), y: \(y), z: \(z))" }
}

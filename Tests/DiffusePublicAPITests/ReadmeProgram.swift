import Diffuse

/// README.md: the main.swift of a package that depends on Diffuse (the whole umbrella module).
func readmeProgram() -> Tensor<Double> {
    let noise = Tensor<Double>.randomNormal(shape: [4, 2], key: RandomKey(seed: 0))
    print(noise.mean(alongAxis: 0))
    return noise
}

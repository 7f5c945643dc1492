namespace Graft.Backbones;

/// <summary>What a backbone is: its id, the layer features come from, their size, and its preprocessing.</summary>
/// <param name="Id">A stable name, such as <c>resnet18</c>.</param>
/// <param name="Layer">The layer the features are taken from (after global average pooling).</param>
/// <param name="FeatureDim">Length of one feature vector.</param>
/// <param name="Preprocessing">How images become input tensors.</param>
/// <param name="WeightsFingerprint">Identifies the weights file, so cached features follow it.</param>
public sealed record BackboneInfo(
    string Id, string Layer, int FeatureDim, Preprocessing Preprocessing, string WeightsFingerprint)
{
    /// <summary>A key that changes whenever this backbone would produce different features.</summary>
    public string CacheKey()
    {
        var text = $"{Id}|{Layer}|{FeatureDim}|{WeightsFingerprint}|{Preprocessing.Fingerprint()}";
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text));
        return $"{Safe(Id)}-{Safe(Layer)}-{Convert.ToHexString(hash)[..16].ToLowerInvariant()}";
    }

    // An ONNX output name may hold characters a file name cannot; the hash keeps keys distinct.
    static string Safe(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());

    /// <summary>
    /// The weights file the backbone was read from, for backbones that are not embedded (a
    /// torchvision checkpoint); null for the embedded ResNet-18.
    /// </summary>
    public string? Source { get; init; }
}

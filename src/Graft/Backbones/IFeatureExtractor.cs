namespace Graft.Backbones;

/// <summary>A frozen network that maps one preprocessed image to a feature vector.</summary>
public interface IFeatureExtractor : IDisposable
{
    /// <summary>The backbone's description, preprocessing included.</summary>
    BackboneInfo Backbone { get; }

    /// <summary>Computes the features of one input tensor (CHW, <see cref="Preprocessing.InputLength"/> floats).</summary>
    float[] Extract(float[] input);
}

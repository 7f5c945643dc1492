namespace Graft.Running;

/// <summary>The four classic ways to reuse a pretrained network, one per situation.</summary>
public enum TransferStrategy
{
    /// <summary>Small data set, similar to ImageNet: a linear head on the last stage's features.</summary>
    LinearHeadOnTop,

    /// <summary>Small data set, different from ImageNet: a linear head on an earlier stage's features.</summary>
    LinearHeadOnEarlierLayer,

    /// <summary>Large data set, similar to ImageNet: fine-tune the last stage with a new head.</summary>
    FineTuneTop,

    /// <summary>Large data set, different from ImageNet: fine-tune every stage with a new head.</summary>
    FineTuneAll,
}

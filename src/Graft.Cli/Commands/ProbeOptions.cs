using System.CommandLine;
using Graft.Running;

namespace Graft.Cli.Commands;

/// <summary>Options of <c>graft probe</c> and <c>graft advise</c>.</summary>
public static class ProbeOptions
{
    /// <summary>The DATA argument.</summary>
    public static Argument<string> Data() => new("DATA")
    {
        Description = "Folder of class folders (DATA/<class>/...), or with train/ and val/ of them",
    };

    /// <summary>--layers.</summary>
    public static Option<string?> Layers() => new("--layers")
    {
        Description = "Layers to probe, comma-separated (default: the backbone's last three, " +
                      "layer2,layer3,layer4 for a ResNet; see graft backbones)",
        HelpName = "LIST",
    };

    /// <summary>--backbone.</summary>
    public static Option<string> Backbone() => new("--backbone")
    {
        Description = "resnet18 (embedded) or a torchvision checkpoint: a .pth path, or a file name or " +
                      "architecture name found in $TORCH_HOME/hub/checkpoints (see graft backbones)",
        DefaultValueFactory = _ => "resnet18", HelpName = "SPEC",
    };

    /// <summary>--seed.</summary>
    public static Option<int> Seed() => new("--seed")
    {
        Description = "Seed for the split, the heads and the random-weight baseline", DefaultValueFactory = _ => 0,
    };

    /// <summary>--val-fraction.</summary>
    public static Option<double> ValFraction() => new("--val-fraction")
    {
        Description = "Share of each class held out for val when there is no val folder",
        DefaultValueFactory = _ => 0.2,
    };

    /// <summary>Reads a --layers list; null when it is empty (the backbone's default layers).</summary>
    public static IReadOnlyList<string>? ParseLayers(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var layers = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return layers.Length == 0 ? null : layers.Distinct().ToList();
    }
}

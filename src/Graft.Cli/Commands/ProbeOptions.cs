using System.CommandLine;
using Graft.Running;

namespace Graft.Cli.Commands;

/// <summary>Options of <c>graft probe</c> and <c>graft advise</c>.</summary>
public static class ProbeOptions
{
    static readonly string[] Stages = ["layer1", "layer2", "layer3", "layer4"];

    /// <summary>The DATA argument.</summary>
    public static Argument<string> Data() => new("DATA")
    {
        Description = "Folder of class folders (DATA/<class>/...), or with train/ and val/ of them",
    };

    /// <summary>--layers.</summary>
    public static Option<string?> Layers() => new("--layers")
    {
        Description = $"Stages to probe, comma-separated (default {string.Join(",", ProbeRequest.DefaultLayers)})",
        HelpName = "LIST",
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

    /// <summary>Reads a --layers list, in network order.</summary>
    public static IReadOnlyList<string> ParseLayers(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return ProbeRequest.DefaultLayers;
        var layers = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var unknown = layers.Where(layer => !Stages.Contains(layer)).ToList();
        if (layers.Length == 0 || unknown.Count > 0)
            throw new GraftException(
                $"--layers '{text}': {(unknown.Count > 0 ? $"unknown {string.Join(", ", unknown)}; " : "")}" +
                $"use some of {string.Join(",", Stages)}");
        return Stages.Where(layers.Contains).ToList();
    }
}

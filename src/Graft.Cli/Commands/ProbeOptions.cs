using System.CommandLine;
using Graft.Cli.Terminal;
using Graft.Running;

namespace Graft.Cli.Commands;

/// <summary>The argument and options that <c>graft probe</c> and <c>graft advise</c> share.</summary>
public sealed class ProbeOptions
{
    readonly Argument<string> _data = new("DATA")
    {
        Description = "Folder of class folders (DATA/<class>/...), or with train/ and val/ of them",
    };
    readonly Option<string> _backbone = new("--backbone")
    {
        Description = "resnet18 (embedded) or a torchvision checkpoint: a .pth path, or a file name or " +
                      "architecture name found in $TORCH_HOME/hub/checkpoints (see graft backbones)",
        DefaultValueFactory = _ => "resnet18", HelpName = "SPEC",
    };
    readonly Option<int> _seed = new("--seed")
    {
        Description = "Seed for the split and the heads (and, in advise, the random-weight baseline)", DefaultValueFactory = _ => 0,
    };
    readonly Option<double> _valFraction = new("--val-fraction")
    {
        Description = "Share of each class held out for val when there is no val folder",
        DefaultValueFactory = _ => 0.2,
    };
    readonly Option<string?> _cache = CommonOptions.Cache();
    readonly Option<bool> _noCache = CommonOptions.NoCache();
    readonly Option<bool> _quiet = CommonOptions.Quiet();
    readonly Option<bool> _verbose = CommonOptions.Verbose();

    /// <summary>Adds the argument and the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Arguments.Add(_data);
        Option[] all = [_backbone, _seed, _valFraction, _cache, _noCache, _quiet, _verbose];
        foreach (var option in all)
            command.Options.Add(option);
    }

    /// <summary>How much the command prints, from --quiet and --verbose.</summary>
    public OutputMode Mode(ParseResult parsed) => OutputMode.Detect(parsed.GetValue(_quiet), parsed.GetValue(_verbose));

    /// <summary>The request the command line makes; <paramref name="layers"/> null for the backbone's default.</summary>
    public ProbeRequest Request(ParseResult parsed, IReadOnlyList<string>? layers = null) => new()
    {
        DataDir = parsed.GetValue(_data)!, Layers = layers, Seed = parsed.GetValue(_seed),
        ValFraction = parsed.GetValue(_valFraction), CacheDir = parsed.GetValue(_cache),
        NoCache = parsed.GetValue(_noCache), Backbone = parsed.GetValue(_backbone)!,
    };

    /// <summary>--layers, which only <c>graft probe</c> takes.</summary>
    public static Option<string?> Layers() => new("--layers")
    {
        Description = "Layers to probe, comma-separated (default: the backbone's last three, " +
                      "layer2,layer3,layer4 for a ResNet; see graft backbones)",
        HelpName = "LIST",
    };

    /// <summary>Reads a --layers list; null when it is empty (the backbone's default layers).</summary>
    public static IReadOnlyList<string>? ParseLayers(string? text)
    {
        if (text is null)
            return null;
        var layers = text.Split(',', StringSplitOptions.TrimEntries);
        if (layers.Any(layer => layer.Length == 0))
            throw new GraftException($"--layers '{text}': an empty name; give layer names separated by commas, " +
                                     "such as layer2,layer3,layer4");
        return layers.Distinct().ToList();
    }
}

using System.CommandLine;
using Graft.Backbones;
using Graft.Backbones.Torch;

namespace Graft.Cli.Commands;

/// <summary><c>graft backbones</c>: what <c>--backbone</c> can name on this machine.</summary>
public static class BackbonesCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("backbones",
            "List the backbones Graft knows, which weights are on this machine, and what --backbone accepts");
        command.SetAction(_ =>
        {
            var output = Console.Out;
            output.WriteLine($"{EmbeddedResNet18.Id}  the embedded ImageNet ResNet-18 (the default; needs " +
                             "nothing): layers layer1-layer4, default layer4 (512 features)");
            output.WriteLine();

            var folder = TorchVisionBackbone.HubCheckpointsDir();
            output.WriteLine($"Torchvision architectures, with torchvision's ImageNet files in {folder}:");
            foreach (var architecture in TorchVisionArchitecture.Known)
                PrintArchitecture(output, architecture, folder);
            output.WriteLine(
                "  (--backbone resnet18 is the embedded network; name torchvision's resnet18 by its file.)");
            PrintOtherFiles(output, folder);

            output.WriteLine();
            output.WriteLine("--backbone accepts:");
            output.WriteLine("  resnet18        the embedded network");
            output.WriteLine("  ARCHITECTURE    one listed above whose file is in the hub folder " +
                             "(torchvision's default weights first)");
            output.WriteLine("  NAME.pth        a file in the hub folder, $TORCH_HOME/hub/checkpoints " +
                             "(default ~/.cache/torch/hub/checkpoints)");
            output.WriteLine("  PATH.pth        a torchvision state_dict (torch.save(model.state_dict())) of " +
                             "an architecture above, recognized from its keys and shapes; a module. prefix " +
                             "is removed");
            output.WriteLine("  PATH.onnx       any ONNX image model, [N,3,H,W] in; --output NODE ([N,C] or " +
                             "[N,C,1,1]), --mean, --std, --size");
            output.WriteLine("Checkpoints use torchvision's preprocessing: RGB, 0-1, mean 0.485,0.456,0.406, " +
                             "std 0.229,0.224,0.225, resize (256, or 232 where listed), centre crop 224.");
            output.WriteLine("Their classifier (fc, classifier.6 or classifier.1) is replaced by the new head. " +
                             "--layer picks another layer; graft probe --backbone compares them.");
            output.WriteLine("Not supported: mobilenet_v3 (TorchSharp's differs from torchvision's), " +
                             "googlenet, inception_v3 and other torchvision families; files in PyTorch's " +
                             "legacy (before 1.6) format.");
            return 0;
        });
        return command;
    }

    static void PrintArchitecture(TextWriter output, TorchVisionArchitecture architecture, string folder)
    {
        var layer = architecture.DefaultLayer;
        var others = architecture.Layers.Where(l => l != layer).ToList();
        output.WriteLine($"  {architecture.Name,-18} default {layer} ({architecture.FeatureDim(layer)})" +
                         (others.Count > 0 ? $"; also {string.Join(", ", others)}" : ""));
        foreach (var weights in TorchVisionWeights.Of(architecture.Name))
        {
            var path = Path.Combine(folder, weights.FileName);
            output.WriteLine($"      {weights.FileName,-34} {weights.Tag}, resize {weights.ResizeTo}  " +
                             (File.Exists(path) ? Usable(path, architecture) : "not here"));
        }
    }

    // Checkpoints under other names: fine-tuned or renamed files, read for their keys only.
    static void PrintOtherFiles(TextWriter output, string folder)
    {
        var others = TorchVisionBackbone.FindCheckpoints(folder)
            .Where(path => TorchVisionWeights.ForFile(Path.GetFileName(path)) is null)
            .ToList();
        if (others.Count == 0)
            return;
        output.WriteLine("Other .pth files there:");
        foreach (var path in others)
        {
            string what;
            try
            {
                what = TorchVisionBackbone.Identify(path).Name;
            }
            catch (GraftException e)
            {
                what = "not usable: " + e.Message.Replace(path + ": ", "");
            }
            output.WriteLine($"  {Path.GetFileName(path)}  {ResolvedLength(path) / 1e6:F1} MB  {what}");
        }
    }

    // A file under torchvision's name is read for its keys, so one that holds another network
    // (a renamed file) is not called present.
    static string Usable(string path, TorchVisionArchitecture expected)
    {
        try
        {
            var found = TorchVisionBackbone.Identify(path);
            return found.Name == expected.Name ? "present" : $"present, but it holds a {found.Name}";
        }
        catch (GraftException e)
        {
            return "present, but not usable: " + e.Message.Replace(path + ": ", "");
        }
    }

    // A link's target's size: a .pth linked into the hub folder is the file it points to.
    static long ResolvedLength(string path)
    {
        var file = new FileInfo(path);
        return file.LinkTarget is null ? file.Length : (file.ResolveLinkTarget(returnFinalTarget: true) as FileInfo)?.Length ?? 0;
    }
}

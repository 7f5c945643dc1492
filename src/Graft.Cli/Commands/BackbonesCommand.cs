using System.CommandLine;
using Graft.Backbones;

namespace Graft.Cli.Commands;

/// <summary><c>graft backbones</c>: what <c>--backbone</c> can name on this machine.</summary>
public static class BackbonesCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("backbones", "List the backbones available here and what --backbone accepts");
        command.SetAction(_ =>
        {
            Console.Out.WriteLine($"{EmbeddedResNet18.Id}  embedded ImageNet ResNet-18 (the default; needs nothing)");

            var folder = TorchVisionBackbone.HubCheckpointsDir();
            var found = TorchVisionBackbone.FindCheckpoints(folder);
            Console.Out.WriteLine(found.Count == 0
                ? $"No torchvision checkpoints in {folder}"
                : $"Torchvision checkpoints in {folder}:");
            foreach (var path in found)
                Console.Out.WriteLine($"  {Path.GetFileName(path)}  {new FileInfo(path).Length / 1e6:F1} MB");

            Console.Out.WriteLine();
            Console.Out.WriteLine("--backbone accepts:");
            Console.Out.WriteLine("  resnet18                 the embedded network");
            Console.Out.WriteLine("  PATH.pth                 a torchvision ResNet-18 or ResNet-34 state_dict");
            Console.Out.WriteLine("  NAME.pth                 such a file in $TORCH_HOME/hub/checkpoints " +
                                  "(default ~/.cache/torch/hub/checkpoints)");
            Console.Out.WriteLine("  PATH.onnx                any ONNX image model, [N,3,H,W] in; --output NODE ([N,C] or " +
                                  "[N,C,1,1]), --mean, --std, --size");
            Console.Out.WriteLine("Not supported yet: resnet50/101/152 checkpoints (bottleneck blocks).");
            return 0;
        });
        return command;
    }
}

// Times one fine-tuning step at batch 32 on real images, split into its parts (making the augmented
// input, forward, backward, optimizer step), for the network's two memory layouts, alternating
// them so both see the same load. Prints medians.
// Usage: dotnet run -c Release --project bench/FineTuneSpeed -- [TRAIN_DIR] [STAGES] [STEPS]
using System.Diagnostics;
using Graft.Backbones;
using Graft.Backbones.Torch;
using Graft.Data;
using Graft.Heads;
using Graft.Training;
using static TorchSharp.torch;

var folder = args.Length > 0 ? args[0] : "../shared/data/hymenoptera_data/train";
var stages = args.Length > 1 ? int.Parse(args[1]) : 1;
var steps = args.Length > 2 ? int.Parse(args[2]) : 6;
const int batch = 32;

Console.WriteLine($"torch threads {get_num_threads()}; batch {batch}; last {stages} stage(s) trainable");
var preprocessing = EmbeddedResNet18.Preprocessing;
var crop = preprocessing.Resize.Crop;
var square = new ResizeSpec("crop", preprocessing.Resize.ResizeTo, preprocessing.Resize.ResizeTo);
var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order().Take(batch * 2).ToList();
var images = files.Select(f => ImageDecoder.Decode(f, square)).ToList();
var options = new FineTuneOptions { Stages = stages };

var variants = new[] { "nchw", "channels-last" }.Select(name =>
{
    var network = TorchResNet.FromEmbeddedOnnx(EmbeddedResNet18.ModelPath);
    FineTuner.Unfreeze(network, options);
    if (name == "channels-last")
        network.UseChannelsLast();
    var head = new Classifier(HeadSpec.Of("linear"), 512, 2);
    return (Name: name, Network: network, Head: head, Optimizer: FineTuner.CreateOptimizer(network, head, options, 0.1),
        Times: new Dictionary<string, List<double>>());
}).ToList();

var random = new Random(1);
for (var step = 0; step < steps; step++)
    foreach (var (_, network, head, optimizer, times) in variants)
    {
        void Time(string part, Action action)
        {
            var clock = Stopwatch.StartNew();
            action();
            (times.TryGetValue(part, out var list) ? list : times[part] = []).Add(clock.Elapsed.TotalMilliseconds);
        }

        using var scope = NewDisposeScope();
        var input = new float[batch * preprocessing.InputLength];
        Time("augment+tensor", () =>
        {
            for (var k = 0; k < batch; k++)
            {
                var view = Augmentation.Apply(images[(step * batch + k) % images.Count], crop, "crop+flip", random);
                preprocessing.ToTensor(view, input.AsSpan(k * preprocessing.InputLength, preprocessing.InputLength));
            }
        });
        FineTuner.SetTraining(network, options, true);
        head.train();
        var x = tensor(input, [batch, 3, crop, crop]);
        var y = tensor(Enumerable.Range(0, batch).Select(i => (long)(i % 2)).ToArray());
        Tensor loss = null!;
        Time("forward", () => loss = head.Loss(head.forward(network.Features(x)), y));
        Time("backward", () =>
        {
            optimizer.zero_grad();
            loss.backward();
        });
        Time("step", () => optimizer.step());
    }

static double Median(List<double> values) => values.Skip(1).Order().ElementAt((values.Count - 2) / 2);
foreach (var (name, _, _, _, times) in variants)
{
    Console.WriteLine(name);
    foreach (var (part, list) in times)
        Console.WriteLine($"  {part,-16} {Median(list),7:F0} ms");
    var total = times.Values.Sum(Median);
    Console.WriteLine($"  {"step",-16} {total,7:F0} ms: {batch * 1000 / total:F1} training images/s");
}

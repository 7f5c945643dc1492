namespace Graft;

/// <summary>A count with its noun in the right number, for messages: "1 epoch", "6 epochs".</summary>
public static class Counted
{
    /// <summary><paramref name="count"/> and <paramref name="noun"/>, plural (noun + "s" unless given) when not 1.</summary>
    public static string Of(long count, string noun, string? plural = null) =>
        $"{count} {(count == 1 ? noun : plural ?? noun + "s")}";
}

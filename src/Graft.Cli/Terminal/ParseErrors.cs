using System.CommandLine;
using System.Text.RegularExpressions;

namespace Graft.Cli.Terminal;

/// <summary>
/// Reports what was wrong with the command line in the user's terms: each problem on one line,
/// option types as "a whole number" rather than .NET's names, and where to find the options,
/// instead of the whole help text.
/// </summary>
public static partial class ParseErrors
{
    /// <summary>Writes the parse errors to standard error and returns the user-error exit code.</summary>
    public static int Report(ParseResult result)
    {
        var command = result.CommandResult.Command;
        var path = command is RootCommand ? "graft" : $"graft {command.Name}";
        foreach (var error in result.Errors)
            Console.Error.WriteLine($"error: {Plain(error.Message)}");
        Console.Error.WriteLine($"See '{path} --help' for what it takes.");
        return CommandRunner.UserError;
    }

    /// <summary>
    /// Refuses an empty value (<c>--out ""</c>, an unset shell variable), which no option or
    /// argument of Graft's means, and --quiet with --verbose; null when there is no such problem.
    /// </summary>
    public static int? ReportValueProblems(ParseResult result)
    {
        var empty = result.CommandResult.Children
            .Select(child => child switch
            {
                System.CommandLine.Parsing.OptionResult option when option.Tokens.Any(t => t.Value.Trim().Length == 0) =>
                    option.Option.Name,
                System.CommandLine.Parsing.ArgumentResult argument when argument.Tokens.Any(t => t.Value.Trim().Length == 0) =>
                    argument.Argument.Name,
                _ => null,
            })
            .OfType<string>().ToList();
        var given = result.CommandResult.Children.OfType<System.CommandLine.Parsing.OptionResult>()
            .Where(option => !option.Implicit).Select(option => option.Option.Name).ToHashSet();
        var problems = empty.Select(name => $"{name} is empty; give a value (is a shell variable unset?)").ToList();
        if (given.Contains("--quiet") && given.Contains("--verbose"))
            problems.Add("--quiet and --verbose exclude each other; give one of them");
        if (problems.Count == 0)
            return null;
        foreach (var problem in problems)
            Console.Error.WriteLine($"error: {problem}");
        return CommandRunner.UserError;
    }

    /// <summary>An error message with .NET type names replaced by what the value should look like.</summary>
    public static string Plain(string message) => TypeName().Replace(message, match => match.Groups[1].Value switch
    {
        "Int32" or "Int64" => "as a whole number",
        "Double" or "Single" or "Decimal" => "as a number",
        "Boolean" => "as true or false",
        var other => $"as {other.ToLowerInvariant()}",
    });

    [GeneratedRegex(@"as expected type '(?:System\.Nullable`1\[)?System\.(\w+)\]?'")]
    private static partial Regex TypeName();
}

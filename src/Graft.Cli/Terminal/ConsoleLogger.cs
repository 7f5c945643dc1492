using Microsoft.Extensions.Logging;

namespace Graft.Cli.Terminal;

/// <summary>Writes the library's log lines to standard error, at the level the flags allow.</summary>
public sealed class ConsoleLogger(OutputMode mode) : ILogger
{
    /// <summary>Warnings seen so far, for the closing summary.</summary>
    public int Warnings { get; private set; }

    /// <summary>True when warnings are counted but not printed (--quiet).</summary>
    public bool Quiet => mode.Quiet;

    /// <inheritdoc />
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    /// <inheritdoc />
    public bool IsEnabled(LogLevel logLevel) => logLevel switch
    {
        >= LogLevel.Error => true,
        LogLevel.Warning or LogLevel.Information => !mode.Quiet,
        _ => mode.Verbose,
    };

    /// <inheritdoc />
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter)
    {
        if (logLevel == LogLevel.Warning)
            Warnings++;
        if (!IsEnabled(logLevel))
            return;
        var prefix = logLevel switch
        {
            >= LogLevel.Error => "error: ",
            LogLevel.Warning => "warning: ",
            LogLevel.Debug or LogLevel.Trace => "  ",
            _ => "",
        };
        lock (Console.Error)
            Console.Error.WriteLine(prefix + formatter(state, exception));
    }
}

namespace Graft;

/// <summary>
/// A problem with what the user gave Graft (a folder, a file, an option), with a message that
/// says what was found, where, and what to do. Command-line tools exit with code 1 for it.
/// </summary>
public class GraftException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A run stopped by its cancellation token (Ctrl+C) after keeping what it could; the message says
/// what was kept and how to go on. Command-line tools exit with code 130 for it, as for SIGINT.
/// </summary>
public sealed class GraftInterruptedException(string message) : GraftException(message);

namespace Graft;

/// <summary>
/// A problem with what the user gave Graft (a folder, a file, an option), with a message that
/// says what was found, where, and what to do. Command-line tools exit with code 1 for it.
/// </summary>
public class GraftException(string message, Exception? inner = null) : Exception(message, inner);

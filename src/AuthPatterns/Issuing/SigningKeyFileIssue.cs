namespace AuthPatterns.Issuing;

/// <summary>Why a file of the key directory is ignored. Fixed sentences: never built from an exception.</summary>
public enum SigningKeyFileProblem
{
    /// <summary>The file cannot be opened or read (permissions, I/O).</summary>
    Unreadable,

    /// <summary>Not JSON, or a required field is missing.</summary>
    Malformed,

    /// <summary>Written by an earlier version, whose schedule is not authenticated.</summary>
    EarlierVersion,

    /// <summary>The <c>keyId</c> inside differs from the file name.</summary>
    KeyIdMismatch,

    /// <summary>The application's Data Protection keys cannot decrypt it (another key ring, or keys lost at a restart).</summary>
    Undecryptable,

    /// <summary>The plain fields (kid or schedule) disagree with the authenticated ones: the file was edited.</summary>
    ScheduleMismatch,

    /// <summary>The RSA key is shorter than 2048 bits.</summary>
    WeakKey,
}

internal static class SigningKeyFileProblemExtensions
{
    public static string Describe(this SigningKeyFileProblem problem) => problem switch
    {
        SigningKeyFileProblem.Unreadable => "it cannot be read (permissions or I/O)",
        SigningKeyFileProblem.Malformed => "it is not a valid key file",
        SigningKeyFileProblem.EarlierVersion => "it was written by an earlier version, whose schedule is not authenticated",
        SigningKeyFileProblem.KeyIdMismatch => "its key id differs from its file name",
        SigningKeyFileProblem.Undecryptable => "it cannot be decrypted with this application's Data Protection keys",
        SigningKeyFileProblem.ScheduleMismatch => "its key id or schedule differs from the authenticated copy (the file was edited)",
        SigningKeyFileProblem.WeakKey => "its RSA key is shorter than 2048 bits",
        _ => "it cannot be used",
    };
}

/// <summary>A file of the key directory the ring ignores, and why (never key material).</summary>
public sealed class SigningKeyFileIssue
{
    internal SigningKeyFileIssue(string file, SigningKeyFileProblem problem)
    {
        File = file;
        Problem = problem;
    }

    /// <summary>The file's name, as found in the directory; whoever can write there chose it, so escape it before printing.</summary>
    public string File { get; }

    /// <summary>Why the file is ignored.</summary>
    public SigningKeyFileProblem Problem { get; }

    /// <summary>Why the file is ignored, as a fixed sentence for people.</summary>
    public string Description => Problem.Describe();
}

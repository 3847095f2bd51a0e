using System.CommandLine;
using System.CommandLine.Help;

namespace AuthPatterns.Tool;

internal static class Program
{
    /// <summary>The command people type, whatever the assembly is called: usage and help say <c>authpatterns</c>.</summary>
    public const string CommandName = "authpatterns";

    public static Task<int> Main(string[] args) => CreateRootCommand().Parse(args).InvokeAsync();

    /// <summary>
    /// The root command. A <see cref="RootCommand"/> takes its name from the executable (<c>AuthPatterns.Tool</c>, the
    /// assembly), so the root is a command named <c>authpatterns</c> with the same help and version options.
    /// </summary>
    internal static Command CreateRootCommand()
    {
        var root = new Command(CommandName, "AuthPatterns: manage API keys, mint development tokens, read an application's auth posture.")
        {
            new HelpOption(),
            new VersionOption(),
        };

        // Each command family lives in its own file and adds itself here.
        root.Subcommands.Add(KeysCommand.Create());
        root.Subcommands.Add(TokenCommand.Create());
        root.Subcommands.Add(SigningKeysCommand.Create());
        root.Subcommands.Add(PostureCommand.Create());
        return root;
    }
}

using System.CommandLine;

namespace AuthPatterns.Tool;

internal static class Program
{
    public static Task<int> Main(string[] args)
    {
        var root = new RootCommand("AuthPatterns: manage API keys, mint development tokens, read an application's auth posture.");

        // Each command family lives in its own file and adds itself here.
        root.Subcommands.Add(KeysCommand.Create());
        root.Subcommands.Add(TokenCommand.Create());
        root.Subcommands.Add(SigningKeysCommand.Create());
        root.Subcommands.Add(PostureCommand.Create());
        return root.Parse(args).InvokeAsync();
    }
}

using System.CommandLine;

namespace AuthPatterns.Tool;

internal static class Program
{
    public static Task<int> Main(string[] args)
    {
        var root = new RootCommand("AuthPatterns: manage API keys and mint development tokens.");

        // Each command family lives in its own file and adds itself here.
        root.Subcommands.Add(KeysCommand.Create());
        root.Subcommands.Add(TokenCommand.Create());
        root.Subcommands.Add(SigningKeysCommand.Create());
        return root.Parse(args).InvokeAsync();
    }
}

using System.Reflection;
using System.Runtime.Loader;

namespace Plansmith.Plugins.Search;

/// <summary>
/// Loads the opt-in reranker from a folder made with
/// <c>dotnet publish src/Rerank -c Release -r RID -o FOLDER</c>, so that a tool without its ~150 MB of
/// model and ONNX runtimes can still rerank once the user has built it.
/// </summary>
/// <remarks>
/// The folder gets its own <see cref="AssemblyLoadContext"/>: an assembly the host already ships
/// (Plansmith.Plugins with <see cref="ISemanticReranker"/>, Semantic Kernel, the runtime) comes
/// from the host, so that types match; the rest (SentenceTransformers, Microsoft.ML, ONNX Runtime
/// and its native library for this platform) comes from the folder.
/// </remarks>
public static class RerankerLoader
{
    /// <summary>The assembly that holds the reranker.</summary>
    public const string AssemblyFileName = "Plansmith.Plugins.Rerank.dll";

    /// <summary>What to do when reranking is on but no reranker is installed.</summary>
    public const string HowToInstall =
        "The MiniLM reranker ships separately (Plansmith.Plugins.Rerank: model and ONNX Runtime, about 150 MB for one platform). "
        + "CLI: build it once from the Plansmith sources with 'dotnet publish src/Rerank -c Release -r linux-x64 -o DIR' (your platform's RID) and set Plansmith:RerankerPath to that folder, or turn Plansmith:Rerank off. "
        + "Library: reference Plansmith.Plugins.Rerank and set PlansmithPluginsOptions.Reranker = new MiniLmReranker().";

    /// <summary>Creates the reranker found in <paramref name="folder"/>.</summary>
    /// <exception cref="RerankerUnavailableException">The folder or the assembly is missing, or holds no usable reranker.</exception>
    public static ISemanticReranker Load(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var path = Path.GetFullPath(Path.Combine(folder, AssemblyFileName));
        if (!File.Exists(path))
        {
            throw new RerankerUnavailableException($"Plansmith:RerankerPath is '{folder}', but there is no {AssemblyFileName} in it. {HowToInstall}");
        }

        try
        {
            var context = new RerankerLoadContext(path);
            var assembly = context.LoadFromAssemblyPath(path);
            var type = assembly.GetExportedTypes().FirstOrDefault(t => typeof(ISemanticReranker).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false } && t.GetConstructor(Type.EmptyTypes) is not null)
                ?? throw new RerankerUnavailableException($"{path} holds no public reranker with a parameterless constructor (was it built from another Plansmith version?). {HowToInstall}");
            return (ISemanticReranker)Activator.CreateInstance(type)!;
        }
        catch (Exception ex) when (ex is BadImageFormatException or FileLoadException or FileNotFoundException or ReflectionTypeLoadException or TypeLoadException or MissingMethodException or TargetInvocationException)
        {
            throw new RerankerUnavailableException($"The reranker in '{folder}' could not be loaded ({ex.Message}). Rebuild it from the same Plansmith version: {HowToInstall}", ex);
        }
    }

    private sealed class RerankerLoadContext : AssemblyLoadContext
    {
        private readonly AssemblyDependencyResolver _resolver;

        public RerankerLoadContext(string path)
            : base("plansmith-reranker")
        {
            _resolver = new AssemblyDependencyResolver(path);
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            // The host's copy first: one ISemanticReranker type, one Semantic Kernel.
            try
            {
                return Default.LoadFromAssemblyName(assemblyName);
            }
            catch (Exception ex) when (ex is FileNotFoundException or FileLoadException)
            {
                return _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;
            }
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
            _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }
}

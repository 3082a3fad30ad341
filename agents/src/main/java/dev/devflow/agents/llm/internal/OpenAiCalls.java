package dev.devflow.agents.llm.internal;

import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponseFor;
import com.openai.errors.OpenAIInvalidDataException;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.Embedding;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.devflow.agents.llm.ChatMessage;
import dev.devflow.agents.llm.LlmBadResponseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The gateway's two SDK calls, blocking, one HTTP request each (the client has retries off). An
 * answer the SDK parsed but that carries nothing usable becomes {@link LlmBadResponseException};
 * HTTP and I/O errors are left as the SDK's exceptions for {@link Failure} to classify.
 */
public final class OpenAiCalls {

  /** A chat answer before accounting. Tokens are 0 when the endpoint reports no usage. */
  public record ChatAnswer(String content, String model, long promptTokens, long completionTokens) {}

  /** Embedding vectors in input order. */
  public record EmbedAnswer(List<float[]> vectors, String model, long promptTokens) {}

  private OpenAiCalls() {}

  public static ChatAnswer chat(OpenAIClient client, String model, List<ChatMessage> messages, String schemaName,
      Map<String, Object> schema) {
    ChatCompletionCreateParams.Builder p = ChatCompletionCreateParams.builder().model(model);
    for (ChatMessage m : messages) {
      switch (m.role()) {
        case "system" -> p.addSystemMessage(m.content());
        case "assistant" -> p.addAssistantMessage(m.content());
        default -> p.addUserMessage(m.content());
      }
    }
    if (schema != null) {
      ResponseFormatJsonSchema.JsonSchema.Schema.Builder s = ResponseFormatJsonSchema.JsonSchema.Schema.builder();
      schema.forEach((k, v) -> s.putAdditionalProperty(k, JsonValue.from(v)));
      p.responseFormat(ResponseFormatJsonSchema.builder()
          .jsonSchema(ResponseFormatJsonSchema.JsonSchema.builder().name(schemaName).schema(s.build()).strict(true)
              .build())
          .build());
    }
    ChatCompletion completion;
    try (HttpResponseFor<ChatCompletion> response = client.chat().completions().withRawResponse().create(p.build())) {
      requireJson(response);
      completion = response.parse();
    }
    List<ChatCompletion.Choice> choices = field(completion::choices, "the answer has no choices");
    if (choices.isEmpty()) {
      throw bad("the answer has no choices (choices: [])");
    }
    ChatCompletion.Choice first = choices.get(0);
    String content = field(() -> first.message().content().orElse(null), "the answer has no message");
    if (content == null) {
      String refusal = field(() -> first.message().refusal().orElse(null), "the answer has no content");
      throw bad(refusal == null ? "the answer has no content" : "the model refused: " + refusal);
    }
    CompletionUsage usage = optional(() -> completion.usage().orElse(null));
    String answered = optional(completion::model);
    return new ChatAnswer(content, answered == null || answered.isBlank() ? model : answered,
        usage == null ? 0 : usage.promptTokens(), usage == null ? 0 : usage.completionTokens());
  }

  public static EmbedAnswer embed(OpenAIClient client, String model, List<String> inputs) {
    EmbeddingCreateParams params = EmbeddingCreateParams.builder().model(model).inputOfArrayOfStrings(inputs)
        // Floats, not the SDK's base64 default: Ollama and some proxies do not speak base64.
        .encodingFormat(EmbeddingCreateParams.EncodingFormat.FLOAT).build();
    CreateEmbeddingResponse r;
    try (HttpResponseFor<CreateEmbeddingResponse> response = client.embeddings().withRawResponse().create(params)) {
      requireJson(response);
      r = response.parse();
    }
    List<Embedding> data = new ArrayList<>(field(r::data, "the answer has no data"));
    if (data.size() != inputs.size()) {
      throw bad("the answer has " + data.size() + " embeddings for " + inputs.size() + " inputs");
    }
    data.sort(Comparator.comparingLong(e -> field(e::index, "an embedding has no index")));
    List<float[]> vectors = new ArrayList<>();
    for (Embedding e : data) {
      List<Float> values = field(e::embedding, "an embedding has no vector");
      float[] v = new float[values.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = values.get(i);
      }
      vectors.add(v);
    }
    CreateEmbeddingResponse.Usage usage = optional(r::usage);
    String answered = optional(r::model);
    return new EmbedAnswer(vectors, answered == null || answered.isBlank() ? model : answered,
        usage == null ? 0 : usage.promptTokens());
  }

  /** A proxy's login or error page with status 200: say so rather than "unexpected character". */
  private static void requireJson(HttpResponseFor<?> response) {
    List<String> type = response.headers().values("Content-Type");
    if (!type.isEmpty() && type.get(0).toLowerCase().contains("text/html")) {
      throw bad("the endpoint answered an HTML page, not JSON (check base-url: it should be the API root, e.g. …/v1)");
    }
  }

  /** A required field; the SDK parses lazily and throws when it is missing or of the wrong type. */
  private static <T> T field(Supplier<T> get, String missing) {
    try {
      return get.get();
    } catch (OpenAIInvalidDataException e) {
      throw bad(missing);
    }
  }

  private static <T> T optional(Supplier<T> get) {
    try {
      return get.get();
    } catch (OpenAIInvalidDataException e) {
      return null;
    }
  }

  private static LlmBadResponseException bad(String reason) {
    return new LlmBadResponseException(reason, reason, null);
  }
}

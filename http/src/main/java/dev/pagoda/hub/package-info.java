/**
 * Fetching models from the Hugging Face hub into its standard cache ({@link dev.pagoda.hub.HubDownloader}),
 * configured by the same environment variables as {@code huggingface_hub} ({@link dev.pagoda.hub.HubConfig}).
 */
package dev.pagoda.hub;

/** The element's shadow styles. State-driven looks hang off `:host([data-state=…])`. */
import { css } from 'lit';

export const livePlayerStyles = css`
  :host {
    display: block;
    position: relative;
    aspect-ratio: var(--live-player-aspect-ratio, 16 / 9);
    background: var(--live-player-background, #000);
    color: var(--live-player-color, #fff);
    font: var(--live-player-font, 500 1rem/1.4 system-ui, sans-serif);
    overflow: hidden;
    contain: content;
  }
  :host([hidden]) {
    display: none;
  }
  [part~='video'],
  [part~='poster'] {
    position: absolute;
    inset: 0;
    width: 100%;
    height: 100%;
    object-fit: contain;
    background: transparent;
  }
  /* Hidden videos keep decoding (a switch can show one at once), they are just not seen. */
  [part~='video']:not([data-visible]) {
    visibility: hidden;
  }
  [part~='poster'] {
    object-fit: cover;
  }
  [part~='overlay'] {
    position: absolute;
    inset: 0;
    display: grid;
    place-items: center;
    pointer-events: none;
    text-align: center;
    padding: 1rem;
  }
  [part~='message'],
  [part~='error'] {
    max-width: 40ch;
    padding: 0.5em 1em;
    border-radius: 0.5em;
    background: var(--live-player-message-background, rgb(0 0 0 / 0.6));
  }
  [part~='error'] {
    background: var(--live-player-error-background, rgb(120 0 0 / 0.8));
  }
  [part~='offline'] {
    position: absolute;
    left: 50%;
    bottom: 0.75rem;
    transform: translateX(-50%);
    max-width: calc(100% - 1.5rem);
    padding: 0.3em 0.9em;
    border-radius: 999px;
    font-size: 0.9em;
    background: var(--live-player-message-background, rgb(0 0 0 / 0.6));
    pointer-events: none;
  }
  [part~='spinner'] {
    width: 2.5rem;
    height: 2.5rem;
    border-radius: 50%;
    border: 0.25rem solid rgb(255 255 255 / 0.25);
    border-top-color: var(--live-player-accent, #fff);
    animation: live-player-spin 1s linear infinite;
  }
  @keyframes live-player-spin {
    to {
      transform: rotate(1turn);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    [part~='spinner'] {
      animation-duration: 3s;
    }
  }
  [part~='unmute-button'] {
    position: absolute;
    left: 0.75rem;
    bottom: 0.75rem;
    pointer-events: auto;
    font: inherit;
    color: inherit;
    padding: 0.4em 0.9em;
    border: 1px solid rgb(255 255 255 / 0.6);
    border-radius: 999px;
    background: var(--live-player-message-background, rgb(0 0 0 / 0.6));
    cursor: pointer;
  }
  [part~='live-badge'] {
    position: absolute;
    top: 0.75rem;
    left: 0.75rem;
    padding: 0.1em 0.5em;
    border-radius: 0.25em;
    font-size: 0.8em;
    font-weight: 700;
    letter-spacing: 0.05em;
    text-transform: uppercase;
    color: #fff;
    background: var(--live-player-badge-background, #c00);
    pointer-events: none;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
  [part~='unmute-button']:focus-visible {
    outline: 2px solid var(--live-player-accent, #fff);
    outline-offset: 2px;
  }
`;

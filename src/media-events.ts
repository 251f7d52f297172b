/**
 * Re-dispatches the media events of the video on screen from the host, so the element can
 * stand in for a <video> (e.g. as the media of media-chrome's <media-controller>). Events of
 * the hidden video (a warming standby) are not forwarded: they are not what the viewer sees.
 * `error` is not forwarded: on this element it means a configuration error.
 */
export const FORWARDED_MEDIA_EVENTS = [
  'loadstart',
  'loadedmetadata',
  'loadeddata',
  'canplay',
  'canplaythrough',
  'play',
  'playing',
  'pause',
  'waiting',
  'seeking',
  'seeked',
  'timeupdate',
  'durationchange',
  'progress',
  'ratechange',
  'volumechange',
  'resize',
  'ended',
  'emptied',
] as const;

export function forwardMediaEvents(host: HTMLElement, video: HTMLVideoElement, isOnScreen: () => boolean): () => void {
  const forward = (event: Event) => {
    if (isOnScreen()) host.dispatchEvent(new Event(event.type));
  };
  for (const type of FORWARDED_MEDIA_EVENTS) video.addEventListener(type, forward);
  return () => {
    for (const type of FORWARDED_MEDIA_EVENTS) video.removeEventListener(type, forward);
  };
}

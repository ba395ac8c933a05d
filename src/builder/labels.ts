/** Marks a RUN step's container, so one a crash left behind is removed at the next start. */
export const BUILD_CONTAINER_LABEL = 'io.berth.build-step';
